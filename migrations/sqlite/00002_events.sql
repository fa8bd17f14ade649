-- Integrations, deliveries and events; mirrors postgres/00002_events.sql,
-- with an FTS5 table for event search.

-- +goose Up
CREATE TABLE integrations (
    id                TEXT     PRIMARY KEY,
    kind              TEXT     NOT NULL,
    name              TEXT     NOT NULL,
    secret            TEXT     NOT NULL,
    mapping           TEXT     NOT NULL DEFAULT '{}',
    verify_options    TEXT     NOT NULL DEFAULT '{}',
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    secret_rotated_at DATETIME
);

CREATE TABLE deliveries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    scope          TEXT     NOT NULL,
    integration_id TEXT     REFERENCES integrations (id) ON DELETE CASCADE,
    delivery_key   TEXT     NOT NULL,
    received_at    DATETIME NOT NULL,
    content_type   TEXT     NOT NULL DEFAULT '',
    headers        TEXT     NOT NULL DEFAULT '{}',
    payload        TEXT     NOT NULL DEFAULT '',
    payload_pruned BOOLEAN  NOT NULL DEFAULT false,
    events         INTEGER  NOT NULL DEFAULT 0,
    accepted       INTEGER  NOT NULL DEFAULT 0,
    duplicates     INTEGER  NOT NULL DEFAULT 0,
    redeliveries   INTEGER  NOT NULL DEFAULT 0,
    UNIQUE (scope, delivery_key)
);
CREATE INDEX deliveries_integration_idx ON deliveries (integration_id, received_at DESC);
CREATE INDEX deliveries_received_at_idx ON deliveries (received_at);

CREATE TABLE events (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    scope             TEXT     NOT NULL,
    integration_id    TEXT     REFERENCES integrations (id) ON DELETE SET NULL,
    source            TEXT     NOT NULL,
    kind              TEXT     NOT NULL,
    dedup_key         TEXT     NOT NULL,
    status            TEXT     NOT NULL DEFAULT '',
    title             TEXT     NOT NULL,
    description       TEXT     NOT NULL DEFAULT '',
    severity          TEXT     NOT NULL DEFAULT '',
    service           TEXT     NOT NULL DEFAULT '',
    environment       TEXT     NOT NULL DEFAULT '',
    starts_at         DATETIME NOT NULL,
    ends_at           DATETIME,
    commit_sha        TEXT     NOT NULL DEFAULT '',
    ref               TEXT     NOT NULL DEFAULT '',
    url               TEXT     NOT NULL DEFAULT '',
    labels            TEXT     NOT NULL DEFAULT '{}',
    has_migrations    BOOLEAN  NOT NULL DEFAULT false,
    first_delivery_id INTEGER  REFERENCES deliveries (id) ON DELETE SET NULL,
    last_delivery_id  INTEGER  REFERENCES deliveries (id) ON DELETE SET NULL,
    received_at       DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    UNIQUE (scope, dedup_key)
);
CREATE INDEX events_starts_at_idx ON events (starts_at DESC, id DESC);
CREATE INDEX events_service_starts_at_idx ON events (service, starts_at);
CREATE INDEX events_kind_starts_at_idx ON events (kind, starts_at);
CREATE INDEX events_last_delivery_idx ON events (last_delivery_id);
CREATE INDEX events_first_delivery_idx ON events (first_delivery_id);

CREATE VIRTUAL TABLE events_fts USING fts5 (
    title, service, description, content = 'events', content_rowid = 'id', tokenize = 'porter unicode61'
);
-- +goose StatementBegin
CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, title, service, description) VALUES (new.id, new.title, new.service, new.description);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, title, service, description) VALUES ('delete', old.id, old.title, old.service, old.description);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_fts_update AFTER UPDATE OF title, service, description ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, title, service, description) VALUES ('delete', old.id, old.title, old.service, old.description);
    INSERT INTO events_fts (rowid, title, service, description) VALUES (new.id, new.title, new.service, new.description);
END;
-- +goose StatementEnd

CREATE TABLE event_status_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    status      TEXT     NOT NULL,
    at          DATETIME NOT NULL,
    delivery_id INTEGER  REFERENCES deliveries (id) ON DELETE SET NULL,
    received_at DATETIME NOT NULL
);
CREATE INDEX event_status_changes_event_idx ON event_status_changes (event_id, id);
CREATE INDEX event_status_changes_delivery_idx ON event_status_changes (delivery_id);

-- +goose Down
DROP TABLE event_status_changes;
DROP TRIGGER events_fts_update;
DROP TRIGGER events_fts_delete;
DROP TRIGGER events_fts_insert;
DROP TABLE events_fts;
DROP TABLE events;
DROP TABLE deliveries;
DROP TABLE integrations;
