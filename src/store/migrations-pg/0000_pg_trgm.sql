-- pg_trgm backs the GIN trigram index on product names (products_name_trgm_idx), PostgreSQL's
-- counterpart of SQLite's FTS5 trigram table; drizzle-kit does not write CREATE EXTENSION itself.
-- Trusted since PostgreSQL 13: the database owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
