-- The owner indexes of every items table leave out the items without that owner: most items have
-- no owner of one kind or the other (management API items have neither), and each index entry costs
-- every insert a b-tree write. Lookups by owner (owner_user_oid = $1) still use them.
DO $$
DECLARE
  idx record;
BEGIN
  FOR idx IN
    SELECT indexname, tablename, substring(indexname FROM '_owner_(user|device)$') AS owner
    FROM pg_indexes
    WHERE schemaname = current_schema()
      AND indexname ~ '^items_[0-9a-f]{32}_owner_(user|device)$'
      AND indexdef NOT LIKE '% WHERE %'
  LOOP
    EXECUTE format('DROP INDEX %I', idx.indexname);
    EXECUTE format('CREATE INDEX %I ON %I (owner_%s_oid, id) WHERE owner_%s_oid IS NOT NULL',
                   idx.indexname, idx.tablename, idx.owner, idx.owner);
  END LOOP;
END
$$;
