-- PostgreSQL validates a foreign key here; SQLite enforces it from the
-- start. Kept so that both dialects share version numbers.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
