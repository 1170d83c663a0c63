//! End-to-end tests: the real `tokentally` binary over generated homes.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod agent; // the agent command: logged and proxied calls, a log file, SIGTERM; pause
mod agent_kill; // SIGKILL of the agent while logs grow and the proxy serves
mod bad_input; // missing homes, a corrupt ledger, huge and invalid lines
mod canary; // no prompt or response text in the ledger, its WAL, any output or log
mod corpus_totals; // a generated corpus reported exactly, per day, tool and model
mod estimated; // counts made from text are labelled estimated everywhere
mod fault_relay; // a TCP relay that injects network faults in front of the server
mod incremental; // appends, partial lines, truncation, replacement, deletion
mod kill; // SIGKILL at random points of a scan, then exact totals
mod loopback; // a fake provider, a raw HTTP client, listening sockets of a process
mod mixed; // every tool at once, exact per tool
mod policy; // an unsanctioned tool is never read; policy show and check
mod policy_reload; // a running watch follows its policy file, keeps the last good one
mod proxy; // proxied and exported calls: unchanged bytes, counted once, no text
mod sources; // `tokentally sources`: every tool, found or not, what was counted
mod support; // running the binary, comparing reports with the generator's truth
mod upload; // uploads to the reference server through faults: exact totals, consent, bytes
mod upload_cli; // enroll, preview, upload, export, delete as an employee, real keychain
mod watch; // a line appended to a log is printed by `watch`
