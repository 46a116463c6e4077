-- Oracle storage permissions: roles per mobile backend and the users holding them.
CREATE TABLE roles (
    backend_id uuid NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL,
    created_on bigint NOT NULL,
    PRIMARY KEY (backend_id, name)
);

CREATE TABLE user_roles (
    backend_id uuid NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    role       text COLLATE "C" NOT NULL,
    PRIMARY KEY (backend_id, user_id, role),
    FOREIGN KEY (backend_id, user_id) REFERENCES users (backend_id, id) ON DELETE CASCADE,
    FOREIGN KEY (backend_id, role) REFERENCES roles (backend_id, name) ON DELETE CASCADE
);
CREATE INDEX user_roles_role ON user_roles (backend_id, role);
