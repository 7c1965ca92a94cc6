CREATE TABLE `conformance_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`supplier_id` integer NOT NULL,
	`status` text NOT NULL,
	`actor` text NOT NULL,
	`requested_at` integer NOT NULL,
	`started_at` integer,
	`ended_at` integer,
	`holder` text,
	`lease_until` integer,
	`progress_json` text DEFAULT '[]' NOT NULL,
	`error` text,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `conformance_jobs_status_idx` ON `conformance_jobs` (`status`,`requested_at`);--> statement-breakpoint
CREATE INDEX `conformance_jobs_supplier_idx` ON `conformance_jobs` (`supplier_id`,`requested_at`);--> statement-breakpoint
CREATE TABLE `conformance_sandboxes` (
	`supplier_id` integer PRIMARY KEY NOT NULL,
	`base_url` text NOT NULL,
	`username` text NOT NULL,
	`password_enc` text NOT NULL,
	`app_secret_enc` text NOT NULL,
	`sign_mode` text NOT NULL,
	`body_format` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
