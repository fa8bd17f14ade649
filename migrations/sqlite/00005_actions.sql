-- Corrective actions; mirrors postgres/00005_actions.sql (due dates as
-- YYYY-MM-DD text).

-- +goose Up
CREATE TABLE actions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id   INTEGER  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title         TEXT     NOT NULL,
    description   TEXT     NOT NULL DEFAULT '',
    owner_id      INTEGER  REFERENCES users (id) ON DELETE SET NULL,
    team          TEXT     NOT NULL DEFAULT '',
    due_date      TEXT,
    priority      TEXT     NOT NULL,
    kind          TEXT     NOT NULL,
    status        TEXT     NOT NULL,
    reason        TEXT     NOT NULL DEFAULT '',
    verification  TEXT     NOT NULL DEFAULT '',
    tracker_url   TEXT     NOT NULL DEFAULT '',
    version       INTEGER  NOT NULL DEFAULT 1,
    created_by_id INTEGER  REFERENCES users (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    closed_at     DATETIME
);
CREATE INDEX actions_incident_idx ON actions (incident_id);
CREATE INDEX actions_status_due_idx ON actions (status, due_date);
CREATE INDEX actions_owner_idx ON actions (owner_id, status);

CREATE TABLE action_status_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id   INTEGER  NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    from_status TEXT     NOT NULL,
    to_status   TEXT     NOT NULL,
    reason      TEXT     NOT NULL DEFAULT '',
    actor       TEXT     NOT NULL,
    at          DATETIME NOT NULL
);
CREATE INDEX action_status_changes_action_idx ON action_status_changes (action_id, id);

-- +goose Down
DROP TABLE action_status_changes;
DROP TABLE actions;
