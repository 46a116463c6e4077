-- Bumped with every item write in the same transaction; filtered totals are cached per version
-- (berth_core::store::CountCache).
ALTER TABLE collections ADD COLUMN items_version BIGINT NOT NULL DEFAULT 0;
