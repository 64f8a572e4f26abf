import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { listWatchlistEntries } from '@/db/queries/watchlist';

/**
 * THE watchlist: small, real, open checkpoints that `npm start` analyses when the Hub is reachable. Edit this
 * list to change what the board tracks by default; repos added through `POST /api/v1/analyses` or
 * `npm run enqueue` are stored in the database and merged in.
 *
 * `revisions` lists branches or tags to analyse as an ordered training series (Pythia publishes `stepN` branches);
 * list `main` too to include the default branch (for Pythia, main is the final step143000).
 */

export interface WatchlistItem {
  repoId: string;
  /** Branches/tags to analyse; empty or missing = the default branch only. */
  revisions?: string[];
}

export const DEFAULT_WATCHLIST: WatchlistItem[] = [
  { repoId: 'openai-community/gpt2' },
  {
    repoId: 'EleutherAI/pythia-160m',
    revisions: ['step1000', 'step8000', 'step36000', 'step71000', 'main'],
  },
  { repoId: 'EleutherAI/pythia-410m' },
  { repoId: 'HuggingFaceTB/SmolLM2-135M' },
  { repoId: 'HuggingFaceTB/SmolLM2-360M' },
  { repoId: 'Qwen/Qwen2.5-0.5B' },
  { repoId: 'Qwen/Qwen2.5-0.5B-Instruct' },
  { repoId: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0' },
  { repoId: 'tiiuae/falcon-rw-1b' },
  { repoId: 'microsoft/phi-1_5' },
  { repoId: 'allenai/OLMo-1B-hf' },
];

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

const FileSchema = z.array(
  z.union([
    z.string().regex(REPO_ID).transform((repoId) => ({ repoId })),
    z.object({ repoId: z.string().regex(REPO_ID), revisions: z.array(z.string().min(1)).optional() }),
  ]),
);

/** Parse `owner/name[@rev]` (the CLI's and admin API's form). Throws naming the input when malformed. */
export function parseRepoSpec(spec: string): { repoId: string; revision?: string } {
  const [repoId, revision, extra] = spec.trim().split('@');
  if (!REPO_ID.test(repoId ?? '') || extra !== undefined || revision === '') {
    throw new Error(`"${spec}" is not a repo id of the form owner/name or owner/name@revision`);
  }
  return revision ? { repoId, revision } : { repoId };
}

/**
 * The configured base list: `WATCHLIST` = `default` (above), `none`, or the path of a JSON file holding
 * `["owner/name", {"repoId": "owner/name", "revisions": ["step1000"]}, ...]` (the demo writes one).
 */
export function configuredWatchlist(setting = process.env.WATCHLIST?.trim() || 'default'): WatchlistItem[] {
  if (setting === 'default') return DEFAULT_WATCHLIST;
  if (setting === 'none') return [];
  const file = path.resolve(setting);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`WATCHLIST file ${file} cannot be read as JSON: ${(err as Error).message}`);
  }
  const parsed = FileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`WATCHLIST file ${file} is not a list of repo ids: ${parsed.error.message}`);
  return parsed.data;
}

/** Merge lists: one item per repo, revisions united in first-seen order. */
export function mergeWatchlists(...lists: WatchlistItem[][]): WatchlistItem[] {
  const byRepo = new Map<string, string[]>();
  for (const list of lists) {
    for (const item of list) {
      const revs = byRepo.get(item.repoId) ?? [];
      for (const r of item.revisions ?? []) if (!revs.includes(r)) revs.push(r);
      byRepo.set(item.repoId, revs);
    }
  }
  return [...byRepo].map(([repoId, revisions]) => (revisions.length ? { repoId, revisions } : { repoId }));
}

/** The file/env watchlist merged with the repos stored in the database. */
export async function loadWatchlist(): Promise<WatchlistItem[]> {
  const stored = await listWatchlistEntries();
  return mergeWatchlists(configuredWatchlist(), stored.map((s) => ({ repoId: s.repoId, revisions: s.revisions })));
}

/** The refs to analyse for an item: its revisions, or the default branch. */
export function refsOf(item: WatchlistItem): string[] {
  return item.revisions && item.revisions.length ? item.revisions : ['main'];
}
