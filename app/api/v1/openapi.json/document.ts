import { z } from 'zod';
import { analysesResponseSchema, enqueueResponseSchema } from '../analyses/schema';
import { compareResponseSchema } from '../compare/schema';
import { errorSchema } from '../_lib/shared-schemas';
import { esdResponseSchema } from '../models/[owner]/[name]/layers/[layer]/esd/schema';
import { layersResponseSchema } from '../models/[owner]/[name]/layers/schema';
import { deltaResponseSchema } from '../models/[owner]/[name]/delta/schema';
import { modelDetailResponseSchema } from '../models/[owner]/[name]/schema';
import { MODEL_FIELDS, modelsResponseSchema } from '../models/schema';
import { searchResponseSchema } from '../search/schema';
import { hubWebhookResponseSchema } from '../webhooks/hub/schema';
import { SORT_KEYS, STATUSES, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, MODEL_TYPES } from '@/db/queries/leaderboard-params';

/**
 * The OpenAPI 3.1 document of /api/v1. Response schemas are generated from the same zod schemas the routes are
 * written against (z.toJSONSchema), and app/api/v1/openapi.test.ts checks real responses against this document.
 */

const json = (s: z.ZodType) => z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;

export const COMPONENT_SCHEMAS = {
  Error: errorSchema,
  ModelList: modelsResponseSchema,
  ModelDetail: modelDetailResponseSchema,
  LayerList: layersResponseSchema,
  LayerEsd: esdResponseSchema,
  DeltaAnalysis: deltaResponseSchema,
  Comparison: compareResponseSchema,
  SearchResult: searchResponseSchema,
  AnalysisList: analysesResponseSchema,
  EnqueueResult: enqueueResponseSchema,
  HubWebhookResult: hubWebhookResponseSchema,
} as const;

const ref = (name: keyof typeof COMPONENT_SCHEMAS) => ({ $ref: `#/components/schemas/${name}` });
const ok = (name: keyof typeof COMPONENT_SCHEMAS, description: string) => ({
  description,
  headers: {
    ETag: { schema: { type: 'string' }, description: 'strong validator of the body; send it back in If-None-Match' },
    'Cache-Control': { schema: { type: 'string' } },
  },
  content: { 'application/json': { schema: ref(name) } },
});
const err = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const notModified = { description: 'Not modified (If-None-Match matched the ETag)' };

const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }, required = false) => ({
  name, in: 'query', required, description, schema,
});
const p = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const revisionParam = q('revision', 'a commit sha (7+ hex prefix) or a ref such as main or step1000; default: the shown analysis');
const modelPath = [p('owner', 'repo owner'), p('name', 'repo name')];

export function buildOpenApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'alphaboard API',
      version: '1.0.0',
      description:
        'Spectral (Heavy-Tailed Self-Regularization) metrics of open LLM checkpoints, per model and per layer, under WeightWatcher 0.7.5.5 column names. Reads carry ETag and Cache-Control; writes need `Authorization: Bearer $ADMIN_TOKEN`.',
    },
    servers: [{ url: '/' }],
    paths: {
      '/api/v1/models': {
        get: {
          operationId: 'listModels',
          summary: 'The leaderboard: models with their current analysis summary',
          parameters: [
            q('q', 'text search over repo id, family and architecture'),
            q('family', 'comma-separated families (config model_type)'),
            q('dtype', 'comma-separated storage dtypes'),
            q('status', 'comma-separated analysis statuses', { type: 'string', examples: [STATUSES.join(',')] }),
            q('gated', 'only gated (true) or only public (false) repos', { type: 'string', enum: ['true', 'false'] }),
            q('minParams', 'minimum parameter count (e.g. 125M, 1.5B)'),
            q('maxParams', 'maximum parameter count'),
            q('type', `comma-separated row types (${MODEL_TYPES.join(', ')}); default: model,fine-tune (full models), or all three with base`, { type: 'string', examples: ['adapter'] }),
            q('base', 'only the fine-tunes and adapters of this base model (owner/name)'),
            q('sort', `one of ${SORT_KEYS.join(', ')} or bench:<benchmark>`, { type: 'string', default: 'alpha' }),
            q('dir', 'sort direction (default per column)', { type: 'string', enum: ['asc', 'desc'] }),
            q('page', '1-based page', { type: 'integer', minimum: 1, default: 1 }),
            q('pageSize', 'rows per page', { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
            q('fields', `comma-separated subset of ${MODEL_FIELDS.join(', ')} (id is always included)`),
            q('format', 'json, or csv for a spreadsheet export', { type: 'string', enum: ['json', 'csv'], default: 'json' }),
            q('all', 'true: every matching row (up to 10000) instead of one page', { type: 'string', enum: ['true', 'false'] }),
          ],
          responses: {
            200: { ...ok('ModelList', 'one page of models'), content: { 'application/json': { schema: ref('ModelList') }, 'text/csv': { schema: { type: 'string' } } } },
            304: notModified,
            400: err('a query parameter is invalid'),
          },
        },
      },
      '/api/v1/models/{owner}/{name}': {
        get: {
          operationId: 'getModel',
          summary: 'One model: metadata, revision history with analyses, base model, the shown analysis (with the checkpoint read, alpha per role and identical_to for mirrors)',
          parameters: [...modelPath, revisionParam],
          responses: { 200: ok('ModelDetail', 'the model'), 304: notModified, 400: err('bad model id or revision'), 404: err('unknown model or revision') },
        },
      },
      '/api/v1/models/{owner}/{name}/layers': {
        get: {
          operationId: 'listLayers',
          summary: 'Every layer of the shown (or asked) analysis with all WeightWatcher columns, its MoE expert and where reused metrics came from',
          parameters: [...modelPath, revisionParam],
          responses: { 200: ok('LayerList', 'layers in checkpoint order'), 304: notModified, 400: err('bad input'), 404: err('unknown model, revision, or no analysis yet') },
        },
      },
      '/api/v1/models/{owner}/{name}/delta': {
        get: {
          operationId: 'getModelDelta',
          summary:
            "A fine-tune's delta analysis against its base (ΔW = W − W_base, paired by tensor name) or an adapter repo's (ΔW = s·B·A): WeightWatcher's columns of ΔW plus the delta columns per row, unmatched tensors, summary, alpha and Δalpha by depth per role",
          parameters: [...modelPath, q('base', 'the base to compare against (owner/name); default: the latest delta analysis of the model')],
          responses: { 200: ok('DeltaAnalysis', 'the delta analysis'), 304: notModified, 400: err('bad model id or base'), 404: err('no delta or adapter analysis of this model (against this base)') },
        },
      },
      '/api/v1/models/{owner}/{name}/layers/{layer}/esd': {
        get: {
          operationId: 'getLayerEsd',
          summary: "One layer's eigenvalue spectrum and power-law fit",
          parameters: [
            ...modelPath, p('layer', 'layer ordinal, layer name or full tensor key'), revisionParam,
            q('delta', "true: the layer's ΔW spectrum from the model's delta (or adapter) analysis instead", { type: 'string', enum: ['true', 'false'] }),
            q('base', 'with delta=true: the base of the delta analysis (owner/name); default: the latest'),
          ],
          responses: { 200: ok('LayerEsd', 'eigenvalues and fit'), 304: notModified, 400: err('bad input'), 404: err('unknown model or layer') },
        },
      },
      '/api/v1/compare': {
        get: {
          operationId: 'compareModels',
          summary: 'Two models aligned layer by layer (by relative depth and role; MoE experts as per-block medians per projection)',
          parameters: [q('a', 'first model (owner/name)', { type: 'string' }, true), q('b', 'second model (owner/name)', { type: 'string' }, true)],
          responses: { 200: ok('Comparison', 'aligned layers and summary deltas'), 304: notModified, 400: err('a or b missing or malformed'), 404: err('unknown model') },
        },
      },
      '/api/v1/search': {
        get: {
          operationId: 'searchModels',
          summary: 'Type-ahead search over model ids',
          parameters: [q('q', 'text to look for', { type: 'string' }, true), q('limit', 'max hits', { type: 'integer', minimum: 1, maximum: 50, default: 10 })],
          responses: { 200: ok('SearchResult', 'matching models, prefix matches first'), 304: notModified, 400: err('q missing') },
        },
      },
      '/api/v1/analyses': {
        get: {
          operationId: 'listAnalyses',
          summary: 'Queued, running, failed and done analyses, newest first, with failure reasons',
          parameters: [
            q('status', 'only this status', { type: 'string', enum: [...STATUSES] }),
            q('model', 'only this model (owner/name)'),
            q('limit', 'max rows', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
            q('offset', 'rows to skip', { type: 'integer', minimum: 0, default: 0 }),
          ],
          responses: { 200: ok('AnalysisList', 'analyses'), 304: notModified, 400: err('bad query parameter') },
        },
        post: {
          operationId: 'enqueueAnalysis',
          summary: 'Enqueue a repo for analysis (admin)',
          security: [{ bearer: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['repo'],
                  additionalProperties: false,
                  properties: {
                    repo: { type: 'string', description: 'owner/name or owner/name@revision' },
                    revision: { type: 'string', description: 'branch, tag or sha (default: main)' },
                    options: { type: 'object', description: 'WeightWatcher options: mpFit, detX, randomize, seed, fixFingers, xmax, fit' },
                  },
                },
              },
            },
          },
          responses: {
            202: { description: 'enqueued', content: { 'application/json': { schema: ref('EnqueueResult') } } },
            400: err('bad body'),
            401: err('missing or wrong bearer token'),
            503: err('ADMIN_TOKEN is not set on the server: writes are disabled'),
          },
        },
      },
      '/api/v1/webhooks/hub': {
        post: {
          operationId: 'hubWebhook',
          summary: 'Hugging Face Hub webhook: a new commit (or conversion pull request) on a watched model repo queues its analysis, once',
          description:
            'Configure at https://huggingface.co/settings/webhooks with this URL, the watched repos (or their owners) as targets, the "Repo update" event, and a secret equal to HUB_WEBHOOK_SECRET. Only `event.scope` = repo.content on a watched model repo is acted on; everything else is acknowledged (200) and ignored with the reason.',
          security: [{ webhookSecret: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['event', 'repo'],
                  properties: {
                    event: { type: 'object', required: ['action', 'scope'], properties: { action: { type: 'string' }, scope: { type: 'string' } } },
                    repo: { type: 'object', required: ['name'], properties: { type: { type: 'string' }, name: { type: 'string' }, headSha: { type: 'string' } } },
                    updatedRefs: {
                      type: 'array',
                      items: { type: 'object', required: ['ref'], properties: { ref: { type: 'string' }, oldSha: { type: ['string', 'null'] }, newSha: { type: ['string', 'null'] } } },
                    },
                  },
                },
              },
            },
          },
          responses: {
            200: { description: 'acknowledged and ignored (reason given)', content: { 'application/json': { schema: ref('HubWebhookResult') } } },
            202: { description: 'planned: the analysis of the new sha is queued (created: false on a repeated delivery)', content: { 'application/json': { schema: ref('HubWebhookResult') } } },
            400: err('not a Hub webhook payload'),
            401: err('missing or wrong X-Webhook-Secret'),
            503: err('HUB_WEBHOOK_SECRET is not set on the server (webhooks disabled), or the Hub could not be reached'),
          },
        },
      },
      '/api/v1/openapi.json': {
        get: { operationId: 'getOpenApi', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } } },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        webhookSecret: { type: 'apiKey', in: 'header', name: 'X-Webhook-Secret', description: 'HUB_WEBHOOK_SECRET' },
      },
      schemas: Object.fromEntries(Object.entries(COMPONENT_SCHEMAS).map(([name, s]) => [name, json(s)])),
    },
  };
}
