DROP INDEX "layers_analysis_tensor_idx";--> statement-breakpoint
ALTER TABLE "analyses" ADD COLUMN "checkpoint" jsonb;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "expert" integer;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "content_hash" text;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "reused_from" text;--> statement-breakpoint
CREATE INDEX "layers_content_hash_idx" ON "layers" USING btree ("content_hash");--> statement-breakpoint
ALTER TABLE "layers" ADD CONSTRAINT "layers_analysis_tensor_expert_key" UNIQUE NULLS NOT DISTINCT("analysis_id","tensor","expert");