import pino from 'pino';

/**
 * Structured logs for the ingestion side (JSON lines on stdout; `LOG_LEVEL` sets the level, default info).
 * Child loggers carry `repo`, `revision` and `tensor` so one analysis can be followed across retries and workers.
 * Cached on globalThis so Next's separate module graphs share one destination.
 */
const KEY = Symbol.for('alphaboard.logger');
const g = globalThis as { [KEY]?: pino.Logger };

export const logger: pino.Logger =
  g[KEY] ??
  (g[KEY] = pino({
    name: 'alphaboard',
    level: process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  }));
