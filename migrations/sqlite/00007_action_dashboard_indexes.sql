-- Indexes for the actions dashboard; mirrors
-- postgres/00007_action_dashboard_indexes.sql (SQLite has no INCLUDE: the
-- covered columns are trailing key columns).

-- +goose Up
CREATE INDEX actions_dashboard_idx ON actions (status, due_date, team, created_at, closed_at, owner_id, priority, kind, incident_id);
CREATE INDEX actions_due_order_idx ON actions ((due_date IS NULL), due_date, id);
DROP INDEX actions_status_due_idx;

-- +goose Down
CREATE INDEX actions_status_due_idx ON actions (status, due_date);
DROP INDEX actions_due_order_idx;
DROP INDEX actions_dashboard_idx;
