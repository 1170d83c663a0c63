//! The installers' templates against the one source of truth, the policy
//! schema: every key is in the macOS configuration profile, the Windows
//! ADMX/ADML, the Linux example and the admin guide, with the schema's
//! types, ranges and values. A key added to the policy fails here until
//! every template carries it.

mod admx;
mod layout;
mod mobileconfig;
mod schema;
