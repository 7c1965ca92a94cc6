CREATE TABLE `conformance_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`supplier_id` integer NOT NULL,
	`base_url` text NOT NULL,
	`kit_version` text NOT NULL,
	`contract_version` text NOT NULL,
	`passed` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer NOT NULL,
	`summary_json` text NOT NULL,
	`report_json` text NOT NULL,
	`report_digest` text NOT NULL,
	`report_signature` text NOT NULL,
	`report_json_path` text NOT NULL,
	`report_html_path` text NOT NULL,
	`mark_id` text,
	`actor` text NOT NULL,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `conformance_runs_supplier_idx` ON `conformance_runs` (`supplier_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `gate_waivers` (
	`supplier_id` integer PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `mall_usage` (
	`account_id` integer NOT NULL,
	`operation` text NOT NULL,
	`outcome` text NOT NULL,
	`first_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mall_usage_pk` ON `mall_usage` (`account_id`,`operation`,`outcome`);--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`alg` text NOT NULL,
	`public_jwk_json` text NOT NULL,
	`private_jwk_enc` text NOT NULL,
	`created_at` integer NOT NULL,
	`retired_at` integer
);
--> statement-breakpoint
CREATE TABLE `trust_marks` (
	`id` text PRIMARY KEY NOT NULL,
	`supplier_id` integer NOT NULL,
	`run_id` text NOT NULL,
	`kid` text NOT NULL,
	`jws` text NOT NULL,
	`kit_version` text NOT NULL,
	`contract_version` text NOT NULL,
	`issued_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`state` text DEFAULT 'valid' NOT NULL,
	`state_reason` text,
	`state_changed_at` integer,
	`recertify_by` integer,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `trust_marks_supplier_idx` ON `trust_marks` (`supplier_id`,`issued_at`);--> statement-breakpoint
CREATE INDEX `trust_marks_kid_idx` ON `trust_marks` (`kid`);