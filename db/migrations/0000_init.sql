CREATE TABLE "models" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"family" text,
	"architecture" text,
	"parameter_count" bigint,
	"dtype" text,
	"license" text,
	"gated" text,
	"downloads" integer,
	"likes" integer,
	"base_model" text,
	"tags" jsonb,
	"source" text DEFAULT 'watchlist' NOT NULL,
	"synthetic" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "watchlist" (
	"repo_id" text PRIMARY KEY NOT NULL,
	"revisions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analyses" (
	"id" serial PRIMARY KEY NOT NULL,
	"model_id" text NOT NULL,
	"revision_id" integer NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"error" text,
	"error_kind" text,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"options_key" text DEFAULT 'default' NOT NULL,
	"layers_total" integer,
	"layers_done" integer DEFAULT 0 NOT NULL,
	"bytes_total" bigint,
	"bytes_read" bigint DEFAULT 0 NOT NULL,
	"seconds_per_layer" real,
	"attempts" integer DEFAULT 0 NOT NULL,
	"worker" text,
	"timings" jsonb,
	"summary" jsonb,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "revisions" (
	"id" serial PRIMARY KEY NOT NULL,
	"model_id" text NOT NULL,
	"sha" text NOT NULL,
	"ref" text DEFAULT 'main' NOT NULL,
	"step" integer,
	"committed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "layer_esd" (
	"layer_id" integer PRIMARY KEY NOT NULL,
	"esd" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "layers" (
	"id" serial PRIMARY KEY NOT NULL,
	"analysis_id" integer NOT NULL,
	"ordinal" integer NOT NULL,
	"tensor" text NOT NULL,
	"name" text NOT NULL,
	"block_index" integer,
	"relative_depth" real,
	"role" text DEFAULT 'other' NOT NULL,
	"fused" boolean DEFAULT false NOT NULL,
	"shape" jsonb NOT NULL,
	"dtype" text NOT NULL,
	"status" text NOT NULL,
	"skip_reason" text,
	"phase" text,
	"N" integer,
	"M" integer,
	"Q" double precision,
	"num_evals" integer,
	"sv_max" double precision,
	"sv_min" double precision,
	"rank_loss" integer,
	"weak_rank_loss" integer,
	"lambda_max" double precision,
	"alpha" double precision,
	"pl_xmin" double precision,
	"pl_xmax" double precision,
	"D" double precision,
	"sigma" double precision,
	"num_pl_spikes" integer,
	"warning" text,
	"norm" double precision,
	"log_norm" double precision,
	"spectral_norm" double precision,
	"log_spectral_norm" double precision,
	"alpha_weighted" double precision,
	"log_alpha_norm" double precision,
	"stable_rank" double precision,
	"matrix_rank" integer,
	"entropy" double precision,
	"mp_softrank" double precision,
	"num_spikes" integer,
	"sigma_mp" double precision,
	"bulk_max" double precision,
	"bulk_min" double precision,
	"W_scale" double precision,
	"detX_num" integer,
	"detX_val" double precision,
	"detX_val_unrescaled" double precision,
	"rand_distance" double precision,
	"rand_num_spikes" integer,
	"max_rand_eval" double precision,
	"ww_softrank" double precision,
	"ww_maxdist" double precision,
	"num_fingers" integer,
	"raw_alpha" double precision,
	"Lambda" double precision,
	"read_s" real,
	"eigen_s" real,
	"fit_s" real
);
--> statement-breakpoint
CREATE TABLE "benchmark_scores" (
	"model_id" text NOT NULL,
	"benchmark" text NOT NULL,
	"score" double precision NOT NULL,
	"source" text,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "benchmark_scores_model_id_benchmark_pk" PRIMARY KEY("model_id","benchmark")
);
--> statement-breakpoint
ALTER TABLE "analyses" ADD CONSTRAINT "analyses_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "analyses" ADD CONSTRAINT "analyses_revision_id_revisions_id_fk" FOREIGN KEY ("revision_id") REFERENCES "public"."revisions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "revisions" ADD CONSTRAINT "revisions_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "layer_esd" ADD CONSTRAINT "layer_esd_layer_id_layers_id_fk" FOREIGN KEY ("layer_id") REFERENCES "public"."layers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "layers" ADD CONSTRAINT "layers_analysis_id_analyses_id_fk" FOREIGN KEY ("analysis_id") REFERENCES "public"."analyses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "models_family_idx" ON "models" USING btree ("family");--> statement-breakpoint
CREATE INDEX "models_params_idx" ON "models" USING btree ("parameter_count");--> statement-breakpoint
CREATE UNIQUE INDEX "analyses_revision_options_idx" ON "analyses" USING btree ("revision_id","options_key");--> statement-breakpoint
CREATE INDEX "analyses_model_idx" ON "analyses" USING btree ("model_id");--> statement-breakpoint
CREATE INDEX "analyses_status_idx" ON "analyses" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "revisions_model_sha_ref_idx" ON "revisions" USING btree ("model_id","sha","ref");--> statement-breakpoint
CREATE UNIQUE INDEX "layers_analysis_tensor_idx" ON "layers" USING btree ("analysis_id","tensor");--> statement-breakpoint
CREATE INDEX "layers_analysis_ordinal_idx" ON "layers" USING btree ("analysis_id","ordinal");