/**
 * Hub repos as a CLI tensor source, through the project's Hub client (lib/hub): the pinned revision's safetensors
 * files are opened as range-read ByteSources and assembled by the safetensors reader (`checkpointFromSources`), so
 * only the headers and then one tensor at a time are downloaded.
 */
import type { TensorSource } from './run-analysis';

export async function openHubSource(repo: string, revision?: string): Promise<TensorSource> {
  throw new Error(`${repo}${revision ? `@${revision}` : ''}: Hub access is not wired into the CLI yet`);
}
