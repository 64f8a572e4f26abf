DROP INDEX "analyses_revision_options_idx";--> statement-breakpoint
ALTER TABLE "analyses" ADD COLUMN "kind" text DEFAULT 'model' NOT NULL;--> statement-breakpoint
ALTER TABLE "analyses" ADD COLUMN "base_revision_id" integer;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "delta_rel_frobenius" double precision;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "delta_spectral_ratio" double precision;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "delta_stable_rank" double precision;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "delta_effective_rank" double precision;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "delta_alpha" double precision;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "base_tensor" text;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "base_shape" jsonb;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "rows_compared" integer;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "resized" text;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "side" text;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "lora_r" integer;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "lora_alpha" double precision;--> statement-breakpoint
ALTER TABLE "layers" ADD COLUMN "lora_scale" double precision;--> statement-breakpoint
ALTER TABLE "analyses" ADD CONSTRAINT "analyses_base_revision_id_revisions_id_fk" FOREIGN KEY ("base_revision_id") REFERENCES "public"."revisions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "analyses_base_revision_idx" ON "analyses" USING btree ("base_revision_id");--> statement-breakpoint
ALTER TABLE "analyses" ADD CONSTRAINT "analyses_revision_options_kind_base_key" UNIQUE NULLS NOT DISTINCT("revision_id","options_key","kind","base_revision_id");