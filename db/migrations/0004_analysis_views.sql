CREATE TABLE "analysis_views" (
	"analysis_id" integer NOT NULL,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"data" text,
	"blob" "bytea",
	CONSTRAINT "analysis_views_analysis_id_kind_pk" PRIMARY KEY("analysis_id","kind")
);
--> statement-breakpoint
ALTER TABLE "analysis_views" ADD CONSTRAINT "analysis_views_analysis_id_analyses_id_fk" FOREIGN KEY ("analysis_id") REFERENCES "public"."analyses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "models_base_model_idx" ON "models" USING btree ("base_model");--> statement-breakpoint
-- Blobs are already compressed (gzip): store them out of line without a second compression attempt.
ALTER TABLE "analysis_views" ALTER COLUMN "blob" SET STORAGE EXTERNAL;
