import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { readStoredView, writeStoredView } from './analysis-views';
import { BoardCache } from './board-cache';
import { listLayersJson } from './layers';

const gzip = promisify(gzipCb);

/**
 * The body of `GET /api/v1/models/{owner}/{name}/layers` for one analysis, gzip-compressed (about a fifth of the
 * JSON: ~80 kB for 300 layers), with its ETag. The JSON is written by the database (layers.ts) and compressed once;
 * a done analysis' body is stored in `analysis_views` and kept in memory, so a request costs a primary-key read at
 * most, and a client that accepts gzip gets the stored bytes as they are.
 */

export const PAYLOAD_VERSION = 1;
const KIND = 'layers-api';

export interface LayersPayloadRef {
  analysisId: number;
  modelId: string;
  status: string;
  revision: { sha: string; ref: string; step: number | null };
}

export interface LayersPayload {
  gzip: Buffer;
  /** Weak: the same for the gzip and the identity encoding of the body. */
  etag: string;
}

function etagOf(bytes: Uint8Array): string {
  return `W/"${createHash('sha1').update(bytes).digest('base64url')}"`;
}

async function buildBody(ref: LayersPayloadRef, layersJson?: string): Promise<Buffer> {
  const layers = layersJson ?? (await listLayersJson({ analysisId: ref.analysisId }));
  const head = JSON.stringify({
    model: ref.modelId,
    analysis: { id: ref.analysisId, status: ref.status, revision: { sha: ref.revision.sha, ref: ref.revision.ref, step: ref.revision.step } },
  });
  return gzip(`${head.slice(0, -1)},"layers":${layers}}`);
}

const payloads = new BoardCache<LayersPayload>('layers-api', 0.6);

export function getLayersPayload(ref: LayersPayloadRef): Promise<LayersPayload> {
  const stored = ref.status === 'done';
  return payloads.get(
    String(ref.analysisId),
    async () => {
      let bytes: Buffer | null = null;
      if (stored) {
        const view = await readStoredView(ref.analysisId, KIND, PAYLOAD_VERSION);
        if (view?.blob) bytes = Buffer.from(view.blob.buffer, view.blob.byteOffset, view.blob.byteLength);
      }
      if (!bytes) {
        bytes = await buildBody(ref);
        if (stored) {
          await writeStoredView(ref.analysisId, KIND, PAYLOAD_VERSION, { data: null, blob: bytes }).catch((err) => {
            console.error(`could not store the layers of analysis ${ref.analysisId}: ${(err as Error).message}`);
          });
        }
      }
      return {
        value: { gzip: bytes, etag: etagOf(bytes) },
        deps: [ref.modelId],
        keep: stored || ref.status === 'failed',
        bytes: bytes.length,
      };
    },
    ['layers'],
  );
}

/** Compute and store the body of a done analysis (the pipeline calls this when the analysis finishes). */
export async function storeLayersPayload(ref: LayersPayloadRef, layersJson?: string): Promise<void> {
  await writeStoredView(ref.analysisId, KIND, PAYLOAD_VERSION, { data: null, blob: await buildBody(ref, layersJson) });
}
