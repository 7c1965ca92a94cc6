CREATE TABLE `login_failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `mall_accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `mall_accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`supplier_id` integer NOT NULL,
	`username` text NOT NULL,
	`password_hash` text NOT NULL,
	`app_secret_enc` text NOT NULL,
	`sign_mode` text DEFAULT 'hmac-sha256' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`credentials_version` integer DEFAULT 1 NOT NULL,
	`locked_until` integer,
	`created_at` integer DEFAULT (unixepoch() * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch() * 1000) NOT NULL,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mall_accounts_username_unique` ON `mall_accounts` (`username`);--> statement-breakpoint
CREATE TABLE `request_nonces` (
	`account_id` integer NOT NULL,
	`nonce` text NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `request_nonces_pk` ON `request_nonces` (`account_id`,`nonce`);--> statement-breakpoint
CREATE TABLE `suppliers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`credit_code` text NOT NULL,
	`contact_name_enc` text,
	`contact_phone_enc` text,
	`domains_json` text DEFAULT '[]' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer DEFAULT (unixepoch() * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch() * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suppliers_code_unique` ON `suppliers` (`code`);--> statement-breakpoint
CREATE UNIQUE INDEX `suppliers_credit_code_uq` ON `suppliers` (`credit_code`);--> statement-breakpoint
CREATE TABLE `areas` (
	`code` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`level` integer NOT NULL,
	`parent_code` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `areas_parent_idx` ON `areas` (`parent_code`);--> statement-breakpoint
CREATE TABLE `brand_catalogs` (
	`brand_id` text NOT NULL,
	`interface_code` text NOT NULL,
	PRIMARY KEY(`brand_id`, `interface_code`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`brand_id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `brand_catalogs_code_idx` ON `brand_catalogs` (`interface_code`);--> statement-breakpoint
CREATE TABLE `brands` (
	`brand_id` text PRIMARY KEY NOT NULL,
	`brand_name` text NOT NULL,
	`brand_en_name` text NOT NULL,
	`logo` text NOT NULL,
	`sort` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `catalog_params` (
	`catalog_id` text NOT NULL,
	`attribute_id` text NOT NULL,
	`attribute_name` text NOT NULL,
	`input_type` integer NOT NULL,
	`required` integer NOT NULL,
	`unit` text NOT NULL,
	`sort` integer NOT NULL,
	`values_json` text NOT NULL,
	PRIMARY KEY(`catalog_id`, `attribute_id`),
	FOREIGN KEY (`catalog_id`) REFERENCES `catalogs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `catalogs` (
	`id` text PRIMARY KEY NOT NULL,
	`interface_code` text NOT NULL,
	`name` text NOT NULL,
	`parent_id` text NOT NULL,
	`level` integer NOT NULL,
	`is_leaf` integer NOT NULL,
	`version` integer NOT NULL,
	`content_hash` text NOT NULL,
	`sort` integer NOT NULL,
	`retired` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catalogs_interface_code_unique` ON `catalogs` (`interface_code`);--> statement-breakpoint
CREATE INDEX `catalogs_parent_idx` ON `catalogs` (`parent_id`);--> statement-breakpoint
CREATE TABLE `promise_options` (
	`promise_id` text PRIMARY KEY NOT NULL,
	`promise_type` integer NOT NULL,
	`promise_name` text NOT NULL,
	`promise_desc` text NOT NULL,
	`need_attachment` integer NOT NULL,
	`required` integer NOT NULL,
	`interface_codes_json` text NOT NULL,
	`sort` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `store_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
