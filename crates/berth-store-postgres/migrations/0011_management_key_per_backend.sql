-- Management keys are looked up by (backend_id, key_hash): a key is unique within its backend, so
-- the table can be distributed by backend id (Citus refuses a unique key without it).
ALTER TABLE management_keys
    DROP CONSTRAINT management_keys_key_hash_key,
    ADD CONSTRAINT management_keys_backend_id_key_hash_key UNIQUE (backend_id, key_hash);
