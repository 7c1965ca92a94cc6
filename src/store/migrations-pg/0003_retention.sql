ALTER TABLE "price_history" ADD COLUMN "min_price_fen" bigint;--> statement-breakpoint
ALTER TABLE "price_history" ADD COLUMN "max_price_fen" bigint;--> statement-breakpoint
CREATE INDEX "login_failures_at_idx" ON "login_failures" USING btree ("at");--> statement-breakpoint
CREATE INDEX "price_history_at_idx" ON "price_history" USING btree ("at");--> statement-breakpoint
CREATE INDEX "message_inbox_settled_idx" ON "message_inbox" USING btree ("settled_at") WHERE status IN ('applied', 'rejected', 'skipped');--> statement-breakpoint
CREATE INDEX "sync_calls_started_idx" ON "sync_calls" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "sync_message_logs_at_idx" ON "sync_message_logs" USING btree ("at");--> statement-breakpoint
CREATE INDEX "sync_runs_started_idx" ON "sync_runs" USING btree ("started_at");