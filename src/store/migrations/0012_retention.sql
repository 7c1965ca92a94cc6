ALTER TABLE `price_history` ADD `min_price_fen` integer;--> statement-breakpoint
ALTER TABLE `price_history` ADD `max_price_fen` integer;--> statement-breakpoint
CREATE INDEX `price_history_at_idx` ON `price_history` (`at`);--> statement-breakpoint
CREATE INDEX `login_failures_at_idx` ON `login_failures` (`at`);--> statement-breakpoint
CREATE INDEX `message_inbox_settled_idx` ON `message_inbox` (`settled_at`) WHERE status IN ('applied', 'rejected', 'skipped');--> statement-breakpoint
CREATE INDEX `sync_calls_started_idx` ON `sync_calls` (`started_at`);--> statement-breakpoint
CREATE INDEX `sync_message_logs_at_idx` ON `sync_message_logs` (`at`);--> statement-breakpoint
CREATE INDEX `sync_runs_started_idx` ON `sync_runs` (`started_at`);