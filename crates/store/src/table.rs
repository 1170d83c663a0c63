//! One module per table: its schema, its row type, its reads and writes.

pub mod checkpoints;
pub mod events;
pub mod live_state;
pub mod pauses;
pub mod retention;
pub mod slots;
