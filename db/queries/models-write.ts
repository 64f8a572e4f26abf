import { and, eq, sql } from 'drizzle-orm';
import { getDb } from '../client';
import { models, revisions, type Model, type NewModel, type Revision } from '../schema';

/**
 * Write side of models and revisions, used by the ingestion jobs (discover, analyze-model, enqueue).
 * Not marked `server-only`: worker processes import it outside Next.
 */

export type ModelFields = Omit<NewModel, 'owner' | 'name' | 'createdAt' | 'updatedAt'> & { id: string };

/** Insert a model or refresh its Hub metadata. Fields left undefined keep their stored value. */
export async function upsertModel(params: ModelFields): Promise<Model> {
  const db = await getDb();
  const [owner, ...rest] = params.id.split('/');
  const name = rest.join('/');
  if (!owner || !name) throw new Error(`model id "${params.id}" is not of the form owner/name`);
  const update: Partial<NewModel> = { updatedAt: new Date() };
  for (const [k, v] of Object.entries(params)) {
    if (k !== 'id' && v !== undefined) (update as Record<string, unknown>)[k] = v;
  }
  const [row] = await db
    .insert(models)
    .values({ ...params, owner, name })
    .onConflictDoUpdate({ target: models.id, set: update })
    .returning();
  return row;
}

/** Training step of a checkpoint ref (`step1000` -> 1000), else null. */
export function stepOfRef(ref: string): number | null {
  const m = /(?:^|[^a-z])step[-_]?(\d+)/i.exec(ref);
  return m ? Number(m[1]) : null;
}

/** The revision row for (model, sha, ref), created on first sight. Old revisions are never touched. */
export async function ensureRevision(params: {
  modelId: string;
  sha: string;
  ref?: string;
  committedAt?: Date | null;
}): Promise<Revision> {
  const db = await getDb();
  const ref = params.ref ?? 'main';
  const inserted = await db
    .insert(revisions)
    .values({ modelId: params.modelId, sha: params.sha, ref, step: stepOfRef(ref), committedAt: params.committedAt ?? null })
    .onConflictDoNothing()
    .returning();
  if (inserted[0]) return inserted[0];
  const [row] = await db
    .select()
    .from(revisions)
    .where(and(eq(revisions.modelId, params.modelId), eq(revisions.sha, params.sha), eq(revisions.ref, ref)));
  return row;
}

/** The newest known revision of a model for a ref (by creation), or null. */
export async function getLatestRevision(params: { modelId: string; ref?: string }): Promise<Revision | null> {
  const db = await getDb();
  const [row] = await db
    .select()
    .from(revisions)
    .where(and(eq(revisions.modelId, params.modelId), eq(revisions.ref, params.ref ?? 'main')))
    .orderBy(sql`${revisions.createdAt} desc, ${revisions.id} desc`)
    .limit(1);
  return row ?? null;
}

export async function getModelRow(params: { modelId: string }): Promise<Model | null> {
  const db = await getDb();
  const [row] = await db.select().from(models).where(eq(models.id, params.modelId));
  return row ?? null;
}
