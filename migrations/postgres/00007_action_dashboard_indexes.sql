-- Indexes for the actions dashboard (docs/performance.md, "Actions
-- dashboard"), measured on 100,000 actions:
--
-- actions_dashboard_idx holds every column the dashboard's figures read or
-- filter on, so that they are index-only scans of a narrow index instead of
-- scans of the wide rows (descriptions, verification notes). Its first two
-- columns are those of actions_status_due_idx (00005), which it replaces.
--
-- actions_due_order_idx is the table's default order ("due": no due date
-- last), so that its first page is read in order instead of sorted.

-- +goose NO TRANSACTION

-- +goose Up
SET lock_timeout = '5s';
SET statement_timeout = '15min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS actions_dashboard_idx ON actions (status, due_date, team, created_at, closed_at)
    INCLUDE (owner_id, priority, kind, incident_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS actions_due_order_idx ON actions ((due_date IS NULL), due_date, id);
DROP INDEX CONCURRENTLY IF EXISTS actions_status_due_idx;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS actions_status_due_idx ON actions (status, due_date);
DROP INDEX CONCURRENTLY IF EXISTS actions_due_order_idx;
DROP INDEX CONCURRENTLY IF EXISTS actions_dashboard_idx;
