-- Accounts, sessions, API tokens, instance status and incidents.
-- Mirrors postgres/00001_foundation.sql table for table, column for column;
-- search uses an FTS5 table kept in step by triggers.

-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT     NOT NULL UNIQUE,
    name          TEXT     NOT NULL,
    role          TEXT     NOT NULL,
    password_hash TEXT     NOT NULL DEFAULT '',
    time_zone     TEXT     NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);

CREATE TABLE sessions (
    id           TEXT     PRIMARY KEY,
    user_id      INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    user_agent   TEXT     NOT NULL DEFAULT '',
    client_ip    TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT     NOT NULL,
    role          TEXT     NOT NULL,
    token_hash    TEXT     NOT NULL UNIQUE,
    prefix        TEXT     NOT NULL,
    created_by_id INTEGER  REFERENCES users (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL,
    last_used_at  DATETIME,
    revoked_at    DATETIME
);

CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    email     TEXT     NOT NULL,
    client_ip TEXT     NOT NULL,
    failed_at DATETIME NOT NULL
);
CREATE INDEX login_failures_email_idx ON login_failures (email, failed_at);
CREATE INDEX login_failures_client_ip_idx ON login_failures (client_ip, failed_at);

CREATE TABLE instance (
    id                INTEGER PRIMARY KEY,
    setup_at          DATETIME,
    status_level      TEXT NOT NULL DEFAULT 'ok',
    status_message    TEXT NOT NULL DEFAULT '',
    status_updated_at DATETIME,
    status_updated_by TEXT NOT NULL DEFAULT ''
);
INSERT INTO instance (id) VALUES (1);

CREATE TABLE services (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT     NOT NULL UNIQUE,
    created_at DATETIME NOT NULL
);

CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    slug          TEXT     NOT NULL UNIQUE,
    title         TEXT     NOT NULL,
    summary       TEXT     NOT NULL DEFAULT '',
    severity      TEXT     NOT NULL,
    status        TEXT     NOT NULL,
    environment   TEXT     NOT NULL DEFAULT '',
    started_at    DATETIME NOT NULL,
    detected_at   DATETIME,
    mitigated_at  DATETIME,
    resolved_at   DATETIME,
    version       INTEGER  NOT NULL DEFAULT 1,
    created_by_id INTEGER  REFERENCES users (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE INDEX incidents_started_at_idx ON incidents (started_at DESC, id DESC);
CREATE INDEX incidents_status_idx ON incidents (status);
CREATE INDEX incidents_severity_idx ON incidents (severity);

CREATE VIRTUAL TABLE incidents_fts USING fts5 (
    title, summary, content = 'incidents', content_rowid = 'id', tokenize = 'porter unicode61'
);
-- +goose StatementBegin
CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incidents_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER incidents_fts_update AFTER UPDATE OF title, summary ON incidents BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
    INSERT INTO incidents_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
-- +goose StatementEnd

CREATE TABLE incident_services (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    service_id  INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, service_id)
);
CREATE INDEX incident_services_service_id_idx ON incident_services (service_id);

CREATE TABLE incident_tags (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL,
    PRIMARY KEY (incident_id, tag)
);
CREATE INDEX incident_tags_tag_idx ON incident_tags (tag);

CREATE TABLE incident_authors (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_authors_user_id_idx ON incident_authors (user_id);

-- +goose Down
DROP TABLE incident_authors;
DROP TABLE incident_tags;
DROP TABLE incident_services;
DROP TRIGGER incidents_fts_update;
DROP TRIGGER incidents_fts_delete;
DROP TRIGGER incidents_fts_insert;
DROP TABLE incidents_fts;
DROP TABLE incidents;
DROP TABLE services;
DROP TABLE instance;
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
