//! One module per table: its schema, its row type, its reads and writes.

pub mod checkpoints;
pub mod consent;
pub mod enrollment;
pub mod events;
pub mod live_state;
pub mod outbox;
pub mod pauses;
pub mod receipts;
pub mod retention;
pub mod slots;
