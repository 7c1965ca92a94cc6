CREATE TABLE `price_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`supplier_id` integer NOT NULL,
	`sku` text NOT NULL,
	`price_fen` integer NOT NULL,
	`mall_price_fen` integer NOT NULL,
	`at` integer NOT NULL,
	`run_id` text
);
--> statement-breakpoint
CREATE INDEX `price_history_sku_idx` ON `price_history` (`supplier_id`,`sku`,`at`);--> statement-breakpoint
CREATE TABLE `product_stock` (
	`supplier_id` integer NOT NULL,
	`sku` text NOT NULL,
	`area` text NOT NULL,
	`num` integer NOT NULL,
	`stock_state_id` integer,
	`description` text NOT NULL,
	`checked_at` integer NOT NULL,
	PRIMARY KEY(`supplier_id`, `sku`, `area`)
);
--> statement-breakpoint
CREATE TABLE `products` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`supplier_id` integer NOT NULL,
	`sku` text NOT NULL,
	`status` text NOT NULL,
	`name` text,
	`model` text,
	`catalog_id` text,
	`interface_code` text,
	`brand_id` text,
	`brand_name` text,
	`url` text,
	`image_path` text,
	`detail_json` text,
	`attributes_json` text,
	`promises_json` text,
	`images_json` text,
	`shelf_state` integer,
	`price_fen` integer,
	`mall_price_fen` integer,
	`market_price_fen` integer,
	`rejection_json` text DEFAULT '[]' NOT NULL,
	`listing_state` text DEFAULT 'none' NOT NULL,
	`source_message_ids_json` text DEFAULT '[]' NOT NULL,
	`detail_read_at` integer,
	`price_read_at` integer,
	`shelf_read_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `products_supplier_sku_uq` ON `products` (`supplier_id`,`sku`);--> statement-breakpoint
CREATE INDEX `products_status_idx` ON `products` (`supplier_id`,`status`,`shelf_state`);--> statement-breakpoint
CREATE INDEX `products_catalog_idx` ON `products` (`interface_code`);--> statement-breakpoint
CREATE TABLE `message_inbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`supplier_id` integer NOT NULL,
	`message_id` text NOT NULL,
	`type` integer NOT NULL,
	`sku` text NOT NULL,
	`state` integer,
	`payload_json` text NOT NULL,
	`message_time` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`received_at` integer NOT NULL,
	`deleted_at` integer,
	`settled_at` integer,
	`last_run_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_inbox_key` ON `message_inbox` (`supplier_id`,`message_id`);--> statement-breakpoint
CREATE INDEX `message_inbox_due_idx` ON `message_inbox` (`supplier_id`,`type`,`status`,`seq`);--> statement-breakpoint
CREATE INDEX `message_inbox_sku_idx` ON `message_inbox` (`supplier_id`,`sku`);--> statement-breakpoint
CREATE TABLE `supplier_connections` (
	`supplier_id` integer PRIMARY KEY NOT NULL,
	`base_url` text NOT NULL,
	`username` text NOT NULL,
	`password_enc` text NOT NULL,
	`app_secret_enc` text NOT NULL,
	`sign_mode` text NOT NULL,
	`body_format` text NOT NULL,
	`pull_schedule` text NOT NULL,
	`stock_schedule` text NOT NULL,
	`stock_areas_json` text NOT NULL,
	`max_concurrent` integer NOT NULL,
	`qps` integer NOT NULL,
	`timeout_ms` integer NOT NULL,
	`enabled` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sync_calls` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`operation` text NOT NULL,
	`endpoint` text NOT NULL,
	`attempt` integer NOT NULL,
	`started_at` text NOT NULL,
	`duration_ms` integer NOT NULL,
	`outcome` text NOT NULL,
	`error_code` integer,
	`http_status` integer,
	`batch_size` integer,
	`subject` text,
	`message` text,
	PRIMARY KEY(`run_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `sync_leases` (
	`supplier_id` integer PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`run_id` text,
	`acquired_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_message_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`supplier_id` integer NOT NULL,
	`message_id` text NOT NULL,
	`type` integer NOT NULL,
	`sku` text NOT NULL,
	`outcome` text NOT NULL,
	`reasons_json` text DEFAULT '[]' NOT NULL,
	`duration_ms` integer NOT NULL,
	`call_seqs_json` text DEFAULT '[]' NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sync_message_logs_run_idx` ON `sync_message_logs` (`run_id`);--> statement-breakpoint
CREATE INDEX `sync_message_logs_lookup_idx` ON `sync_message_logs` (`supplier_id`,`at`);--> statement-breakpoint
CREATE INDEX `sync_message_logs_sku_idx` ON `sync_message_logs` (`supplier_id`,`sku`);--> statement-breakpoint
CREATE TABLE `sync_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`supplier_id` integer NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`counts_json` text DEFAULT '{}' NOT NULL,
	`calls_made` integer DEFAULT 0 NOT NULL,
	`errors_json` text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sync_runs_supplier_idx` ON `sync_runs` (`supplier_id`,`started_at`);