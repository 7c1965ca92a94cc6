-- What signed mall calls read on every request (their account, the reference revision) is kept in
-- a gateway's memory while it hears no change (src/store/sql/change-feed.ts). These triggers tell
-- every listening gateway at commit, whoever wrote: another instance, the CLI, an operator's psql.
-- Row triggers, so a statement that changes nothing tells nothing; one notification per topic and
-- transaction (PostgreSQL folds equal payloads of one transaction).
CREATE FUNCTION emall_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('emall_changes', TG_ARGV[0]);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER mall_accounts_changed AFTER INSERT OR UPDATE OR DELETE ON mall_accounts
  FOR EACH ROW EXECUTE FUNCTION emall_notify_change('accounts');
--> statement-breakpoint
CREATE TRIGGER mall_accounts_truncated AFTER TRUNCATE ON mall_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION emall_notify_change('accounts');
--> statement-breakpoint
CREATE TRIGGER reference_revision_written AFTER INSERT OR UPDATE ON store_meta
  FOR EACH ROW WHEN (NEW.key = 'reference_revision') EXECUTE FUNCTION emall_notify_change('reference');
--> statement-breakpoint
CREATE TRIGGER reference_revision_removed AFTER DELETE ON store_meta
  FOR EACH ROW WHEN (OLD.key = 'reference_revision') EXECUTE FUNCTION emall_notify_change('reference');
--> statement-breakpoint
CREATE TRIGGER store_meta_truncated AFTER TRUNCATE ON store_meta
  FOR EACH STATEMENT EXECUTE FUNCTION emall_notify_change('reference');
