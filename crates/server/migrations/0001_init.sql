-- The same text runs on SQLite and PostgreSQL: BIGINT and TEXT only, no
-- serial columns, no dialect functions.
-- Every TEXT column holds an id, a hash, a closed name (period, tool), a
-- model label checked by the wire types, or a label an admin typed
-- (person, team, admin name) checked by the server: never free text.

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    enrolled_ms BIGINT NOT NULL,
    revoked_ms BIGINT,
    person TEXT,
    team TEXT
);

CREATE TABLE enrollment_codes (
    code_hash TEXT PRIMARY KEY,
    issued_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_ms BIGINT,
    device_id TEXT
);

CREATE TABLE buckets (
    device_id TEXT NOT NULL REFERENCES devices (id),
    start BIGINT NOT NULL,
    period TEXT NOT NULL,
    tool TEXT NOT NULL,
    model TEXT NOT NULL,
    revision BIGINT NOT NULL,
    input BIGINT NOT NULL,
    cache_read BIGINT NOT NULL,
    cache_write BIGINT NOT NULL,
    output BIGINT NOT NULL,
    reasoning BIGINT NOT NULL,
    calls_exact BIGINT NOT NULL,
    calls_reported BIGINT NOT NULL,
    calls_estimated BIGINT NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (device_id, start, period, tool, model)
);

-- Reports select one period length over a time range.
CREATE INDEX buckets_period_start ON buckets (period, start);

CREATE TABLE receipts (
    ack TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    stored BIGINT NOT NULL,
    unchanged BIGINT NOT NULL
);

CREATE INDEX receipts_device ON receipts (device_id);

CREATE TABLE admins (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL
);

CREATE TABLE access_log (
    at_ms BIGINT NOT NULL,
    who TEXT NOT NULL,
    what TEXT NOT NULL,
    device_id TEXT NOT NULL
);

CREATE INDEX access_log_device ON access_log (device_id, at_ms);
