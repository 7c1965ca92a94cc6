-- Keyset pages without a sort step: the catalog filter on catalog_id, and a supplier's orders newest first.
DROP INDEX `orders_supplier_idx`;--> statement-breakpoint
CREATE INDEX `orders_supplier_idx` ON `orders` (`supplier_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `products_catalog_id_idx` ON `products` (`catalog_id`,`id`);