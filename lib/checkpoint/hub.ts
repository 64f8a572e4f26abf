/**
 * Which files of a pinned Hub revision the board reads: safetensors when the revision has them; else the
 * conversion bot's safetensors pull request when one exists for exactly this commit (./hub's findConversionPr);
 * else whatever other format the revision holds (PyTorch pickle files). The answer says what was read, so the
 * model page and the API can show it.
 */
import { findConversionPr, type ConversionPr } from '@/lib/hub/conversion-pr';
import type { HubCallParams, HubStats } from '@/lib/hub';
import { safetensorsFormat } from './formats/safetensors';
import { hubLocation } from './hub-location';
import { openCheckpoint } from './open';
import type { TensorSource } from './types';

export interface HubCheckpoint {
  source: TensorSource;
  /** The commit whose files are read: the pinned sha, or the conversion PR's head. */
  readSha: string;
  /** Set when the weights come from the conversion bot's PR. */
  conversionPr: ConversionPr | null;
}

export async function openHubCheckpoint(
  params: HubCallParams & { repo: string; sha: string; stats?: HubStats; onNotice?: (message: string) => void },
): Promise<HubCheckpoint> {
  const { repo, sha } = params;
  const pinned = hubLocation({ ...params, revision: sha });
  const files = await pinned.list();
  if (!safetensorsFormat.matches(files)) {
    let pr: ConversionPr | null = null;
    try {
      pr = await findConversionPr({ ...params, repo, sha });
    } catch (err) {
      // The discussions API is a shortcut, not a requirement: fall back to the files of the revision itself.
      params.onNotice?.(`could not look for a safetensors conversion PR: ${(err as Error).message}`);
    }
    if (pr) {
      const converted = hubLocation({ ...params, revision: pr.sha });
      const prFiles = await converted.list();
      if (safetensorsFormat.matches(prFiles)) {
        return { source: await openCheckpoint(converted, prFiles), readSha: pr.sha, conversionPr: pr };
      }
    }
  }
  return { source: await openCheckpoint(pinned, files), readSha: sha, conversionPr: null };
}
