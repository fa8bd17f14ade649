-- Fixture for TestSquawkRejectsUnsafeMigration (lint_test.go): a migration
-- squawk must reject. Not a real migration: testdata/ is not embedded.

-- +goose Up
SET lock_timeout = '5s';
SET statement_timeout = '60s';

-- Blocks writes to incidents for the whole build: needs CONCURRENTLY.
CREATE INDEX incidents_title_idx ON incidents (title);

-- Fails on a table with rows, and makes every old insert fail.
ALTER TABLE incidents ADD COLUMN owner text NOT NULL;

-- Scans the whole table under an ACCESS EXCLUSIVE lock.
ALTER TABLE incidents ALTER COLUMN summary SET NOT NULL;

-- Rewrites the table under an ACCESS EXCLUSIVE lock.
ALTER TABLE incidents ALTER COLUMN version TYPE numeric;

-- +goose Down
-- Squawk flags this (ban-drop-table); the lint must not look at Down.
DROP TABLE incidents;
