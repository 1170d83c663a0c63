//! The policy: what IT sets through MDM, what the employee may change, and
//! the employee's view of both.
//!
//! Layers: built-in defaults < the employee's settings < managed policy; a
//! key set by managed policy is locked. Parsing is a pure function that
//! reports every problem. A broken managed policy never widens collection:
//! the last good one applies, or nothing is collected.
//!
//! No key can make TokenTally read or send prompt or response text, send
//! per-call records, or upload without the employee's consent.

pub mod changes;
pub mod layers;
pub mod load;
pub mod parse;
pub mod settings;
pub mod source;
pub mod stamp;

pub use layers::{Origin, Resolved};
pub use load::{Effective, Fallback, Inputs, load};
pub use parse::{Problem, parse};
pub use settings::{Granularity, ModelNames, Settings, UploadMode, schema};
pub use stamp::PolicyFiles;

#[cfg(test)]
mod tests;
