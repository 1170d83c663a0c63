//! Support for the end-to-end tests: a seeded generator of AI tool logs
//! whose ground truth it knows, written independently of the engine's code.

pub mod corpus;
pub mod prng;
