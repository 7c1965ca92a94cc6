CREATE TABLE `scheduler_ticks` (
	`job` text NOT NULL,
	`tick_start` integer NOT NULL,
	`instance` text NOT NULL,
	`claimed_at` integer NOT NULL,
	PRIMARY KEY(`job`, `tick_start`)
);
--> statement-breakpoint
CREATE TABLE `supplier_call_buckets` (
	`supplier_id` integer PRIMARY KEY NOT NULL,
	`tokens_milli` integer NOT NULL,
	`refilled_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `supplier_call_slots` (
	`supplier_id` integer NOT NULL,
	`slot` integer NOT NULL,
	`holder` text,
	`lease_until` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`supplier_id`, `slot`)
);
--> statement-breakpoint
ALTER TABLE `sync_leases` ADD `fencing_token` integer DEFAULT 0 NOT NULL;