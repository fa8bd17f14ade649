-- Reminder digests; mirrors postgres/00006_reminders.sql.

-- +goose Up
CREATE TABLE reminder_settings (
    id            INTEGER  PRIMARY KEY CHECK (id = 1),
    enabled       BOOLEAN  NOT NULL DEFAULT false,
    every         TEXT     NOT NULL DEFAULT 'weekdays',
    weekday       INTEGER  NOT NULL DEFAULT 1,
    hour          INTEGER  NOT NULL DEFAULT 9,
    zone          TEXT     NOT NULL DEFAULT 'UTC',
    due_soon_days INTEGER  NOT NULL DEFAULT 7,
    version       INTEGER  NOT NULL DEFAULT 1,
    updated_at    DATETIME,
    updated_by    TEXT     NOT NULL DEFAULT ''
);
INSERT INTO reminder_settings (id) VALUES (1);

CREATE TABLE notification_channels (
    id         INTEGER  PRIMARY KEY AUTOINCREMENT,
    kind       TEXT     NOT NULL,
    name       TEXT     NOT NULL,
    enabled    BOOLEAN  NOT NULL DEFAULT true,
    settings   TEXT     NOT NULL DEFAULT '{}',
    secret     TEXT     NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE reminder_digests (
    id          INTEGER  PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period      TEXT     NOT NULL,
    item_count  INTEGER  NOT NULL,
    subject     TEXT     NOT NULL,
    body_text   TEXT     NOT NULL,
    body_slack  TEXT     NOT NULL,
    body_json   TEXT     NOT NULL,
    created_at  DATETIME NOT NULL,
    CONSTRAINT reminder_digests_user_period_key UNIQUE (user_id, period)
);

CREATE TABLE reminder_deliveries (
    id              INTEGER  PRIMARY KEY AUTOINCREMENT,
    digest_id       INTEGER  NOT NULL REFERENCES reminder_digests (id) ON DELETE CASCADE,
    channel_id      INTEGER  REFERENCES notification_channels (id) ON DELETE SET NULL,
    channel_name    TEXT     NOT NULL,
    status          TEXT     NOT NULL,
    attempts        INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    lease_until     DATETIME,
    last_error      TEXT     NOT NULL DEFAULT '',
    sent_at         DATETIME,
    created_at      DATETIME NOT NULL,
    CONSTRAINT reminder_deliveries_digest_channel_key UNIQUE (digest_id, channel_id)
);
CREATE INDEX reminder_deliveries_due_idx ON reminder_deliveries (status, next_attempt_at);
CREATE INDEX reminder_deliveries_created_idx ON reminder_deliveries (created_at, id);

-- +goose Down
DROP TABLE reminder_deliveries;
DROP TABLE reminder_digests;
DROP TABLE notification_channels;
DROP TABLE reminder_settings;
