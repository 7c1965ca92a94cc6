ALTER TABLE `signing_keys` ADD `first_signed_at` integer;--> statement-breakpoint
-- Which reports a key signed was never recorded, so every key that exists may have signed one: all stay published.
UPDATE `signing_keys` SET `first_signed_at` = `created_at`;
