CREATE TABLE `order_push_pauses` (
	`supplier_id` integer PRIMARY KEY NOT NULL,
	`since` integer NOT NULL,
	`code` integer,
	`reason` text NOT NULL,
	`yggc_order` text,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `orders` ADD `answer_check_json` text;