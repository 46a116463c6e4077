-- A distributed PostgreSQL (Citus, distribution column backend_id) accepts a unique key only when it
-- contains the distribution column. Collection ids are only ever looked up together with their
-- backend id, so their uniqueness is kept per backend.
ALTER TABLE collections
    DROP CONSTRAINT collections_id_key,
    ADD CONSTRAINT collections_backend_id_id_key UNIQUE (backend_id, id);
