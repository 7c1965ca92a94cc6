CREATE TABLE "scheduler_ticks" (
	"job" text NOT NULL,
	"tick_start" bigint NOT NULL,
	"instance" text NOT NULL,
	"claimed_at" bigint NOT NULL,
	CONSTRAINT "scheduler_ticks_job_tick_start_pk" PRIMARY KEY("job","tick_start")
);
--> statement-breakpoint
CREATE TABLE "supplier_call_buckets" (
	"supplier_id" integer PRIMARY KEY NOT NULL,
	"tokens_milli" integer NOT NULL,
	"refilled_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "supplier_call_slots" (
	"supplier_id" integer NOT NULL,
	"slot" integer NOT NULL,
	"holder" text,
	"lease_until" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "supplier_call_slots_supplier_id_slot_pk" PRIMARY KEY("supplier_id","slot")
);
--> statement-breakpoint
ALTER TABLE "sync_leases" ADD COLUMN "fencing_token" integer DEFAULT 0 NOT NULL;