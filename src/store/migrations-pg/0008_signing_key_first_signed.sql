ALTER TABLE "signing_keys" ADD COLUMN "first_signed_at" bigint;--> statement-breakpoint
-- Which reports a key signed was never recorded, so every key that exists may have signed one: all stay published (as SQLite migration 0017).
UPDATE "signing_keys" SET "first_signed_at" = "created_at";
