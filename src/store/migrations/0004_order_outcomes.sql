CREATE TABLE `order_push_pauses` (
	`supplier_id` integer PRIMARY KEY NOT NULL,
	`since` integer NOT NULL,
	`code` integer,
	`reason` text NOT NULL,
	`yggc_order` text,
	FOREIGN KEY (`supplier_id`) REFERENCES `suppliers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `orders` ADD `answer_check_json` text;--> statement-breakpoint
-- Orders failed before the shared classification for what is now no business refusal (our configuration, temporary wordings) become retryable by staff.
UPDATE `orders` SET `failure_kind` = 'gave_up' WHERE `failure_kind` = 'refused' AND (`failure_code` IN (5001, 5002, 5003, 5004, 5005, 5006, 5013) OR `failure_reason` LIKE '%稍后%' OR `failure_reason` LIKE '%重试%' OR `failure_reason` LIKE '%再试%' OR `failure_reason` LIKE '%繁忙%' OR `failure_reason` LIKE '%频繁%' OR `failure_reason` LIKE '%超时%' OR `failure_reason` LIKE '%系统异常%');
