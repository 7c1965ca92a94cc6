ALTER TABLE `message_inbox` ADD `deferrals` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `message_inbox` ADD `parse_error` text;