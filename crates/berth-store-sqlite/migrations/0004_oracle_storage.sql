-- Oracle storage permissions: roles per mobile backend and the users holding them.
CREATE TABLE roles (
    backend_id TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_on INTEGER NOT NULL,
    PRIMARY KEY (backend_id, name)
) STRICT;

CREATE TABLE user_roles (
    backend_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL,
    PRIMARY KEY (backend_id, user_id, role),
    FOREIGN KEY (backend_id, user_id) REFERENCES users (backend_id, id) ON DELETE CASCADE,
    FOREIGN KEY (backend_id, role) REFERENCES roles (backend_id, name) ON DELETE CASCADE
) STRICT;
CREATE INDEX user_roles_role ON user_roles (backend_id, role);
