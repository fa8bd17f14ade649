-- Timelines; mirrors postgres/00003_timeline.sql.

-- +goose Up
ALTER TABLE incidents ADD COLUMN acknowledged_at DATETIME;
ALTER TABLE incidents ADD COLUMN trigger_event_id INTEGER REFERENCES events (id) ON DELETE SET NULL;

CREATE TABLE timeline_entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id   INTEGER  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    event_id      INTEGER  REFERENCES events (id) ON DELETE CASCADE,
    at            DATETIME,
    title         TEXT     NOT NULL DEFAULT '',
    note          TEXT     NOT NULL DEFAULT '',
    highlight     BOOLEAN  NOT NULL DEFAULT false,
    hidden        BOOLEAN  NOT NULL DEFAULT false,
    version       INTEGER  NOT NULL DEFAULT 1,
    created_by_id INTEGER  REFERENCES users (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    UNIQUE (incident_id, event_id)
);
CREATE INDEX timeline_entries_event_idx ON timeline_entries (event_id);

CREATE TABLE incident_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    actor       TEXT     NOT NULL,
    action      TEXT     NOT NULL,
    detail      TEXT     NOT NULL DEFAULT '',
    at          DATETIME NOT NULL
);
CREATE INDEX incident_changes_incident_idx ON incident_changes (incident_id, id);

-- +goose Down
DROP TABLE incident_changes;
DROP TABLE timeline_entries;
ALTER TABLE incidents DROP COLUMN trigger_event_id;
ALTER TABLE incidents DROP COLUMN acknowledged_at;
