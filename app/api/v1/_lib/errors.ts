/**
 * The API's one error class. Codes are `type:surface` (e.g. `not_found:model`, `bad_request:api`); the type picks
 * the HTTP status, the surface says what it is about. Responses are `{ "error": { "code", "message" } }`.
 * Unexpected errors (database, bugs) are logged with their details and answered with a generic message only.
 */

export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;
export type ErrorSurface = 'api' | 'model' | 'revision' | 'layer' | 'analysis' | 'admin' | 'database' | 'queue' | 'hub';
export type ErrorCode = `${ErrorType}:${ErrorSurface}`;

export class AppError extends Error {
  readonly type: ErrorType;
  readonly surface: ErrorSurface;
  readonly status: number;

  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    const [type, surface] = code.split(':') as [ErrorType, ErrorSurface];
    this.type = type;
    this.surface = surface;
    this.status = ERROR_STATUS[type];
  }

  toResponse(): Response {
    return Response.json(
      { error: { code: this.code, message: this.message } },
      { status: this.status, headers: { 'cache-control': 'no-store' } },
    );
  }
}

/** Any thrown value as a response: AppErrors as they are; anything else logged and answered as internal. */
export function errorResponse(err: unknown, context: string): Response {
  if (err instanceof AppError) {
    if (err.status >= 500) console.error(`[api] ${context}: ${err.code}: ${err.message}`, err.cause ?? '');
    return err.toResponse();
  }
  // Database and driver messages can reveal schema and data; they go to the log only.
  console.error(`[api] ${context}: unexpected error`, err);
  return new AppError('internal:api', 'Something went wrong on our side; the error was logged.').toResponse();
}
