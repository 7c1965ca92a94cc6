CREATE TABLE "production_checks" (
	"supplier_id" integer NOT NULL,
	"day" text NOT NULL,
	"check" text NOT NULL,
	"total" integer NOT NULL,
	"failed" integer NOT NULL,
	"evidence_json" text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "production_scores" (
	"supplier_id" integer NOT NULL,
	"day" text NOT NULL,
	"score" integer NOT NULL,
	"checks_json" text NOT NULL,
	"action" text NOT NULL,
	"proposal" text,
	"decided_by" text,
	"decided_at" bigint,
	"evaluated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "production_checks" ADD CONSTRAINT "production_checks_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "production_scores" ADD CONSTRAINT "production_scores_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "production_checks_pk" ON "production_checks" USING btree ("supplier_id","day","check");--> statement-breakpoint
CREATE UNIQUE INDEX "production_scores_pk" ON "production_scores" USING btree ("supplier_id","day");