/**
 * Never analyse the same bytes twice. The same weights reach the Hub under many names (mirrors, re-packs, conversions
 * to safetensors), so before a matrix goes to the spectral core the board looks for metrics it already holds:
 *
 * - by file: a weights file whose SHA-256 (the Hub's LFS oid, known from the tree listing before any download)
 *   equals a file another analysis read holds the same tensors under the same names, so those layers are copied
 *   without downloading a byte;
 * - by content: a matrix whose (dtype, shape, xxhash64 of its raw stored bytes) equals an analysed one (in any
 *   model, or a tied copy in the same one) reuses its metrics and ESD.
 * Only analyses run with the same options are reused (the columns depend on them); reused rows say where they came from.
 */
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { unitKey } from '@/lib/checkpoint/layer-units';
import type { EsdData, LayerResult } from '@/lib/types';
import { getDb } from '../client';
import { analyses, layerEsd, layers } from '../schema';
import { toLayerResult } from './layers-write';

export interface ReusedLayer {
  layer: LayerResult;
  esd: EsdData | null;
  /** `<model> <tensor>` (with `[e]` for an expert slice) the metrics were computed for. */
  from: string;
}

const ANALYSED = ['success', 'failed'];

function describeSource(modelId: string, r: { name: string; tensor: string; expert: number | null }): string {
  return `${modelId} ${r.name.endsWith(`[${r.expert}]`) ? r.name : r.tensor}`;
}

/** Metrics of an analysed matrix with these stored bytes, or null. */
export async function findLayerByContent(params: {
  contentHash: string;
  dtype: string;
  shape: number[];
  optionsKey: string;
}): Promise<ReusedLayer | null> {
  const db = await getDb();
  const [row] = await db
    .select({ layer: layers, modelId: analyses.modelId, esd: layerEsd.esd })
    .from(layers)
    .innerJoin(analyses, eq(analyses.id, layers.analysisId))
    .leftJoin(layerEsd, eq(layerEsd.layerId, layers.id))
    .where(
      and(
        eq(layers.contentHash, params.contentHash),
        eq(layers.dtype, params.dtype),
        sql`${layers.shape} = ${JSON.stringify(params.shape)}::jsonb`,
        eq(analyses.optionsKey, params.optionsKey),
        // Only a model's own matrices: a delta row's metrics are of ΔW, not of the bytes it read.
        eq(analyses.kind, 'model'),
        inArray(layers.status, ANALYSED),
      ),
    )
    .orderBy(layers.id)
    .limit(1);
  if (!row) return null;
  return { layer: toLayerResult(row.layer), esd: row.esd ?? null, from: describeSource(row.modelId, row.layer) };
}

/**
 * Layers another analysis (same options) stored from a file with this SHA-256, keyed by unit key. Empty when no
 * analysis read such a file.
 */
export async function findLayersByFile(params: {
  sha256: string;
  optionsKey: string;
  excludeAnalysisId: number;
}): Promise<Map<string, ReusedLayer>> {
  const db = await getDb();
  const candidates = await db
    .select({ id: analyses.id, modelId: analyses.modelId })
    .from(analyses)
    .where(
      and(
        ne(analyses.id, params.excludeAnalysisId),
        eq(analyses.optionsKey, params.optionsKey),
        eq(analyses.kind, 'model'),
        sql`exists (select 1 from jsonb_array_elements(${analyses.checkpoint}->'files') f where f->>'sha256' = ${params.sha256})`,
      ),
    )
    .orderBy(sql`${analyses.status} = 'done' desc`, analyses.id)
    .limit(1);
  const out = new Map<string, ReusedLayer>();
  const source = candidates[0];
  if (!source) return out;
  const rows = await db
    .select({ layer: layers, esd: layerEsd.esd })
    .from(layers)
    .leftJoin(layerEsd, eq(layerEsd.layerId, layers.id))
    .where(and(eq(layers.analysisId, source.id), inArray(layers.status, ANALYSED)));
  for (const r of rows) {
    const slice = r.layer.expert !== null && r.layer.name.endsWith(`[${r.layer.expert}]`);
    out.set(unitKey(r.layer.tensor, r.layer.expert, slice), {
      layer: toLayerResult(r.layer),
      esd: r.esd ?? null,
      from: describeSource(source.modelId, r.layer),
    });
  }
  return out;
}
