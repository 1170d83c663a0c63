//! The schema, as numbered steps run once each and recorded in
//! `schema_migrations`; the same text on both backends.

/// (version, SQL), in order. Append only: a step once shipped never changes.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_fleet_codes.sql")),
];

/// Created before any step, on both backends.
pub(crate) const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)";
