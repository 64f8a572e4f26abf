/**
 * A local checkpoint location: one weights file (its folder's config.json is not read), or a folder whose
 * top-level files are listed (index, shards, config.json). Files are read with positioned reads, one range at a time.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, sep } from 'node:path';
import { fileSource } from '@/lib/safetensors/byte-source';
import { CheckpointError } from './errors';
import type { CheckpointFileInfo, CheckpointLocation } from './types';

/** Rejects paths that would leave the folder (an index naming `../x` or `/etc/passwd`). */
export function insideFolder(path: string): boolean {
  const norm = normalize(path);
  return !(isAbsolute(norm) || norm === '..' || norm.startsWith(`..${sep}`) || norm.startsWith('../'));
}

export async function localLocation(fileOrDir: string): Promise<CheckpointLocation> {
  let isDir: boolean;
  try {
    isDir = (await stat(fileOrDir)).isDirectory();
  } catch (cause) {
    throw new CheckpointError({ file: fileOrDir, problem: `cannot open: ${(cause as Error).message}`, cause });
  }
  const root = isDir ? fileOrDir : null;
  const resolve = (path: string) => {
    if (!root) {
      if (path !== basename(fileOrDir)) throw new CheckpointError({ file: fileOrDir, problem: `${JSON.stringify(path)} is not part of this single-file checkpoint` });
      return fileOrDir;
    }
    if (!insideFolder(path)) throw new CheckpointError({ file: fileOrDir, problem: `${JSON.stringify(path)} lies outside the checkpoint folder` });
    return join(root, path);
  };
  return {
    label: fileOrDir,
    async list() {
      if (!root) return [{ path: basename(fileOrDir), size: (await stat(fileOrDir)).size }];
      const out: CheckpointFileInfo[] = [];
      for (const entry of await readdir(root, { withFileTypes: true })) {
        if (!entry.isFile()) continue;
        out.push({ path: entry.name, size: (await stat(join(root, entry.name))).size });
      }
      return out.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
    },
    open: (path) => fileSource(resolve(path)),
    async readJson(path) {
      const full = resolve(path);
      let text: string;
      try {
        text = await readFile(full, 'utf8');
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new CheckpointError({ file: full, problem: `cannot read: ${(cause as Error).message}`, cause });
      }
      try {
        return JSON.parse(text);
      } catch (cause) {
        throw new CheckpointError({ file: full, problem: `not valid JSON (${(cause as Error).message})`, cause });
      }
    },
  };
}
