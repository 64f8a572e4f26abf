import { readResponse } from '../_lib/respond';
import { buildOpenApiDocument } from './document';

export const dynamic = 'force-dynamic';

let cached: Record<string, unknown> | null = null;

/** GET /api/v1/openapi.json — the OpenAPI 3.1 document of this API. */
export async function GET(req: Request): Promise<Response> {
  return readResponse(req, 'GET /api/v1/openapi.json', async () => (cached ??= buildOpenApiDocument()));
}
