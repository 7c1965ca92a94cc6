CREATE TABLE `order_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`from_state` text,
	`to_state` text NOT NULL,
	`step` text NOT NULL,
	`supplier_code` integer,
	`supplier_desc` text,
	`mall_order_id` text,
	`error_kind` text,
	`duration_ms` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_events_order_idx` ON `order_events` (`order_id`,`id`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`yggc_order` text NOT NULL,
	`supplier_id` integer NOT NULL,
	`state` text NOT NULL,
	`lines_json` text NOT NULL,
	`goods_fen` integer NOT NULL,
	`freight_fen` integer NOT NULL,
	`order_price_fen` integer NOT NULL,
	`province` text NOT NULL,
	`city` text NOT NULL,
	`county` text NOT NULL,
	`town` text,
	`consignee_enc` text NOT NULL,
	`dep_name` text,
	`invoice_type` integer NOT NULL,
	`invoice_title` text NOT NULL,
	`invoice_org_code` text NOT NULL,
	`invoice_enc` text,
	`payment` integer NOT NULL,
	`remark` text,
	`mall_order_id` text,
	`failure_kind` text,
	`failure_code` integer,
	`failure_reason` text,
	`price_check_json` text,
	`push_attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_owner` text,
	`lease_until` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`submitted_at` integer,
	`confirmed_at` integer,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_yggc_order_uq` ON `orders` (`yggc_order`);--> statement-breakpoint
CREATE INDEX `orders_due_idx` ON `orders` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `orders_supplier_idx` ON `orders` (`supplier_id`,`created_at`);