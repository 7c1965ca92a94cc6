CREATE TABLE `production_checks` (
	`supplier_id` integer NOT NULL,
	`day` text NOT NULL,
	`check` text NOT NULL,
	`total` integer NOT NULL,
	`failed` integer NOT NULL,
	`evidence_json` text DEFAULT '[]' NOT NULL,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `production_checks_pk` ON `production_checks` (`supplier_id`,`day`,`check`);--> statement-breakpoint
CREATE TABLE `production_scores` (
	`supplier_id` integer NOT NULL,
	`day` text NOT NULL,
	`score` integer NOT NULL,
	`checks_json` text NOT NULL,
	`action` text NOT NULL,
	`proposal` text,
	`decided_by` text,
	`decided_at` integer,
	`evaluated_at` integer NOT NULL,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `production_scores_pk` ON `production_scores` (`supplier_id`,`day`);