-- Keyset pages without a sort step: the catalog filter on catalog_id, and a supplier's orders newest first (as SQLite migration 0013).
DROP INDEX "orders_supplier_idx";--> statement-breakpoint
CREATE INDEX "products_catalog_id_idx" ON "products" USING btree ("catalog_id","id");--> statement-breakpoint
CREATE INDEX "orders_supplier_idx" ON "orders" USING btree ("supplier_id","created_at","id");