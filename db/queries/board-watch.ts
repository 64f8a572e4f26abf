import { getDbHandle, type DbHandle, type Subscription } from '@/db/client';

/**
 * What changed on the board, as the database tells it: migration 0003 makes every committed change to models,
 * revisions, analyses and benchmark scores send `NOTIFY alphaboard_board, '<model id>'` ('*' for TRUNCATE). This
 * module LISTENs once per process and keeps, per model id, the generation at which it last changed. The read side's
 * long-lived caches (board-snapshot.ts, model-cache.ts) use it to stay exact without a time-to-live:
 *
 *  - `await boardWatch()` returns the watch once every change committed before the call has been received (PGlite
 *    delivers notifications inside the writer's own statement; PostgreSQL needs one round trip on the listening
 *    connection), or null when there is no working subscription (then callers read SQL directly).
 *  - a value loaded at generation g for models D is still current iff no id of D (and no '*') changed after g:
 *    {@link BoardWatch.unchangedSince}. A load racing a change is simply not kept.
 *
 * State lives on globalThis: Next bundles pages and route handlers into separate module graphs of one process.
 * `BOARD_CACHE=off` disables the watch (every read goes to SQL, as a reference and for debugging).
 */

export const BOARD_CHANNEL = 'alphaboard_board';

type Listener = (id: string) => void;

export class BoardWatch {
  generation = 0;
  /** Generation of each id's last change; '*' = everything. */
  private readonly changedAt = new Map<string, number>();
  private allChangedAt = 0;
  private readonly listeners = new Set<Listener>();

  constructor(
    readonly handle: DbHandle,
    private subscription: Subscription | null = null,
  ) {}

  /** Called for every notification payload (a model id, or '*'). */
  receive(id: string): void {
    this.generation++;
    if (id === '*') this.allChangedAt = this.generation;
    else this.changedAt.set(id, this.generation);
    for (const l of this.listeners) l(id);
  }

  /** True when none of `ids` (nor everything) changed after generation `since`. */
  unchangedSince(since: number, ids: Iterable<string>): boolean {
    if (this.allChangedAt > since) return false;
    for (const id of ids) if ((this.changedAt.get(id) ?? 0) > since) return false;
    return true;
  }

  /** `listener(id)` on each change ('*' = everything); returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  attach(subscription: Subscription): void {
    this.subscription = subscription;
  }

  get live(): boolean {
    return this.subscription !== null;
  }

  async barrier(): Promise<void> {
    await this.subscription?.barrier();
  }

  /** The subscription broke: everything cached may have missed changes. */
  lose(): void {
    this.subscription = null;
    this.receive('*');
  }

  async close(): Promise<void> {
    const s = this.subscription;
    this.subscription = null;
    await s?.close();
  }
}

interface State {
  watch?: BoardWatch;
  starting?: Promise<BoardWatch | null>;
  retryAt: number;
}

const KEY = Symbol.for('alphaboard.board-watch');
const state: State = ((globalThis as any)[KEY] ??= { retryAt: 0 });

/** How long to wait before subscribing again after a failure. */
const RETRY_MS = 1000;

export function boardCacheEnabled(): boolean {
  return (process.env.BOARD_CACHE ?? '').toLowerCase() !== 'off';
}

async function subscribe(handle: DbHandle): Promise<BoardWatch | null> {
  const watch = new BoardWatch(handle);
  try {
    const sub = await handle.listen(BOARD_CHANNEL, (id) => watch.receive(id), (err) => {
      console.error(`board change notifications lost (${err.message}); reading from the database until re-subscribed`);
      watch.lose();
      if (state.watch === watch) state.watch = undefined;
      state.retryAt = Date.now() + RETRY_MS;
    });
    watch.attach(sub);
    return watch;
  } catch (err) {
    console.error(`could not listen for board changes: ${(err as Error).message}`);
    state.retryAt = Date.now() + RETRY_MS;
    return null;
  }
}

/**
 * The process's live board watch, with every change committed before this call received; null when the cache is
 * off or there is no subscription right now (the caller reads SQL).
 */
export async function boardWatch(): Promise<BoardWatch | null> {
  if (!boardCacheEnabled()) return null;
  const handle = await getDbHandle();
  let watch = state.watch;
  if (watch && watch.handle !== handle) {
    // The database handle was closed and reopened (tests, restore): the old subscription is gone with it.
    watch.lose();
    await watch.close().catch(() => {});
    state.watch = watch = undefined;
  }
  if (!watch) {
    if (Date.now() < state.retryAt) return null;
    state.starting ??= subscribe(handle).finally(() => {
      state.starting = undefined;
    });
    const started = await state.starting;
    if (!started || started.handle !== handle) return null;
    state.watch ??= started;
    watch = state.watch;
  }
  await watch.barrier();
  return watch.live ? watch : null;
}

/** Close the subscription (process shutdown, tests). */
export async function stopBoardWatch(): Promise<void> {
  const watch = state.watch;
  state.watch = undefined;
  if (watch) await watch.close();
}
