ALTER TABLE `products` ADD `listing_reason` text;--> statement-breakpoint
ALTER TABLE `products` ADD `listing_changed_at` integer;--> statement-breakpoint
CREATE INDEX `products_supplier_id_idx` ON `products` (`supplier_id`,`id`);--> statement-breakpoint
CREATE INDEX `products_status_id_idx` ON `products` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `products_listing_idx` ON `products` (`listing_state`,`id`);--> statement-breakpoint
CREATE INDEX `products_sku_idx` ON `products` (`sku`);--> statement-breakpoint
CREATE INDEX `products_name_idx` ON `products` (`name`);--> statement-breakpoint
ALTER TABLE `admin_users` ADD `supplier_id` integer REFERENCES suppliers(id);--> statement-breakpoint
CREATE INDEX `sync_message_logs_supplier_id_idx` ON `sync_message_logs` (`supplier_id`,`id`);--> statement-breakpoint
CREATE INDEX `sync_message_logs_outcome_idx` ON `sync_message_logs` (`outcome`,`id`);--> statement-breakpoint
CREATE INDEX `orders_created_idx` ON `orders` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `orders_state_created_idx` ON `orders` (`state`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_target_idx` ON `audit_log` (`target`,`id`);