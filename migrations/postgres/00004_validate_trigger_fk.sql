-- Validates the foreign key added NOT VALID in 00003, in its own
-- transaction: VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock, so writes
-- to incidents go on meanwhile.

-- +goose Up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '15min';
ALTER TABLE incidents VALIDATE CONSTRAINT incidents_trigger_event_fk;

-- +goose Down
-- A constraint cannot be un-validated: put back the NOT VALID one.
ALTER TABLE incidents DROP CONSTRAINT incidents_trigger_event_fk;
ALTER TABLE incidents ADD CONSTRAINT incidents_trigger_event_fk
    FOREIGN KEY (trigger_event_id) REFERENCES events (id) ON DELETE SET NULL NOT VALID;
