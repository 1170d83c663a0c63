//! The loopback API proxy: forwards calls to the providers' APIs byte for
//! byte and counts, on the side, the usage their replies report.

pub mod tap;
