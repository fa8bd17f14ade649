-- Guided postmortem writing; mirrors postgres/00008_postmortems.sql.

-- +goose Up
ALTER TABLE incidents ADD COLUMN template_key TEXT NOT NULL DEFAULT 'full';
-- The Five Whys step or contributing factor an action addresses
-- ("why:w3", "factor:f2"); empty when none.
ALTER TABLE actions ADD COLUMN cause TEXT NOT NULL DEFAULT '';

-- One row per incident and section (impact, whys, factors, lessons): a JSON
-- document with its own version, so a save to one never makes another stale.
CREATE TABLE postmortem_sections (
    incident_id INTEGER      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    section     TEXT        NOT NULL,
    body        TEXT        NOT NULL,
    version     INTEGER      NOT NULL,
    updated_at  DATETIME NOT NULL,
    updated_by  TEXT        NOT NULL,
    PRIMARY KEY (incident_id, section)
);

-- Every saved version of every section (the summary included), for the
-- history page and restores.
CREATE TABLE postmortem_revisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id   INTEGER      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    section       TEXT        NOT NULL,
    version       INTEGER      NOT NULL,
    body          TEXT        NOT NULL,
    author        TEXT        NOT NULL,
    at            DATETIME NOT NULL,
    restored_from INTEGER,
    CONSTRAINT postmortem_revisions_version_key UNIQUE (incident_id, section, version)
);

CREATE TABLE custom_fields (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT        NOT NULL UNIQUE,
    label      TEXT        NOT NULL,
    kind       TEXT        NOT NULL,
    options    TEXT        NOT NULL DEFAULT '[]',
    internal   BOOLEAN     NOT NULL DEFAULT false,
    position   INTEGER      NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL
);

-- The admin's taxonomy; empty means the built-in one.
CREATE TABLE factor_categories (
    key      TEXT   PRIMARY KEY,
    label    TEXT   NOT NULL,
    grp      TEXT   NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT false,
    position INTEGER NOT NULL
);

-- Rules an admin adds to the built-in blameless-language rules.
CREATE TABLE blameless_rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phrase     TEXT        NOT NULL,
    suggestion TEXT        NOT NULL,
    created_by TEXT        NOT NULL,
    created_at DATETIME NOT NULL
);

-- Templates an admin defines; the three built-in ones live in the code.
CREATE TABLE postmortem_templates (
    key        TEXT        PRIMARY KEY,
    body       TEXT        NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE review_requests (
    incident_id  INTEGER      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    reviewer_id  INTEGER      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    requested_by TEXT        NOT NULL,
    requested_at DATETIME NOT NULL,
    approved_at  DATETIME,
    PRIMARY KEY (incident_id, reviewer_id)
);

-- Review steps: requested, approved, published, reopened.
CREATE TABLE review_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    event       TEXT        NOT NULL,
    actor       TEXT        NOT NULL,
    note        TEXT        NOT NULL DEFAULT '',
    at          DATETIME NOT NULL
);
CREATE INDEX review_log_incident_idx ON review_log (incident_id, id);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    section     TEXT        NOT NULL,
    parent_id   INTEGER      REFERENCES comments (id) ON DELETE CASCADE,
    author_id   INTEGER      REFERENCES users (id) ON DELETE SET NULL,
    body        TEXT        NOT NULL,
    created_at  DATETIME NOT NULL,
    resolved_at DATETIME,
    resolved_by TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX comments_incident_idx ON comments (incident_id, section, id);

-- +goose Down
DROP TABLE comments;
DROP TABLE review_log;
DROP TABLE review_requests;
DROP TABLE postmortem_templates;
DROP TABLE blameless_rules;
DROP TABLE factor_categories;
DROP TABLE custom_fields;
DROP TABLE postmortem_revisions;
DROP TABLE postmortem_sections;
ALTER TABLE actions DROP COLUMN cause;
ALTER TABLE incidents DROP COLUMN template_key;
