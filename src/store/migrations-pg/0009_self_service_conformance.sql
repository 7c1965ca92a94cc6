CREATE TABLE "conformance_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"supplier_id" integer NOT NULL,
	"status" text NOT NULL,
	"actor" text NOT NULL,
	"requested_at" bigint NOT NULL,
	"started_at" bigint,
	"ended_at" bigint,
	"holder" text,
	"lease_until" bigint,
	"progress_json" text DEFAULT '[]' NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "conformance_sandboxes" (
	"supplier_id" integer PRIMARY KEY NOT NULL,
	"base_url" text NOT NULL,
	"username" text NOT NULL,
	"password_enc" text NOT NULL,
	"app_secret_enc" text NOT NULL,
	"sign_mode" text NOT NULL,
	"body_format" text NOT NULL,
	"updated_at" bigint NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conformance_jobs" ADD CONSTRAINT "conformance_jobs_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conformance_sandboxes" ADD CONSTRAINT "conformance_sandboxes_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conformance_jobs_status_idx" ON "conformance_jobs" USING btree ("status","requested_at");--> statement-breakpoint
CREATE INDEX "conformance_jobs_supplier_idx" ON "conformance_jobs" USING btree ("supplier_id","requested_at");