//! The admin side without HTTP: codes, admin tokens, device mapping and
//! revocation, export. Blocking, so the CLI and plain `#[test]` functions
//! can use it without a runtime of their own.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokentally_wire::AccessEntry;

use crate::ServerError;
use crate::reports::UNASSIGNED;
use crate::secret::{ADMIN_TOKEN_PREFIX, CODE_PREFIX, check_label, hash, new_secret, now_ms};
use crate::store::{DeviceInfo, Reader, Store, StoredBucket, Totals};

/// A connection to the server's database for admin work.
pub struct BlockingAdmin {
    runtime: tokio::runtime::Runtime,
    store: Store,
}

/// One line of `admin export`: the sums of one person's devices for one
/// period, tool and model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportRow {
    /// The person, or `device:<id>` for a device not yet assigned.
    pub person: String,
    /// The team, or `(unassigned)`.
    pub team: String,
    /// Period start, seconds since the epoch.
    pub start: i64,
    /// `hour`, `day` or `week`.
    pub period: &'static str,
    /// Tool id.
    pub tool: &'static str,
    /// Model label.
    pub model: String,
    /// Devices added up.
    pub devices: u64,
    /// The sums.
    #[serde(flatten)]
    pub totals: Totals,
}

impl BlockingAdmin {
    /// Opens the database (`sqlite:///path`, a path, or `postgres://...`)
    /// and brings its schema up to date.
    pub fn open(database_url: &str) -> Result<BlockingAdmin, ServerError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let store = runtime.block_on(Store::open(database_url, 2))?;
        Ok(BlockingAdmin { runtime, store })
    }

    /// A single-use enrollment code valid for `ttl`.
    pub fn issue_code(&self, ttl: Duration) -> Result<String, ServerError> {
        let mut codes = self.issue_codes(1, ttl)?;
        codes
            .pop()
            .ok_or_else(|| ServerError::Thread("no code issued".to_owned()))
    }

    /// `count` single-use codes valid for `ttl`, in one transaction.
    pub fn issue_codes(&self, count: usize, ttl: Duration) -> Result<Vec<String>, ServerError> {
        self.insert_codes(count, ttl, 1)
    }

    /// One code that enrolls up to `devices` devices within `ttl`: the
    /// `enrollment_code` of a fleet's MDM policy.
    pub fn issue_fleet_code(&self, devices: u32, ttl: Duration) -> Result<String, ServerError> {
        let mut codes = self.insert_codes(1, ttl, i64::from(devices))?;
        codes
            .pop()
            .ok_or_else(|| ServerError::Thread("no code issued".to_owned()))
    }

    fn insert_codes(
        &self,
        count: usize,
        ttl: Duration,
        uses: i64,
    ) -> Result<Vec<String>, ServerError> {
        let codes = (0..count)
            .map(|_| new_secret(CODE_PREFIX))
            .collect::<Result<Vec<_>, _>>()?;
        let now = now_ms();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let hashes = codes.iter().map(|c| hash(c)).collect();
        self.runtime.block_on(self.store.insert_codes(
            hashes,
            now,
            now.saturating_add(ttl_ms),
            uses,
        ))?;
        Ok(codes)
    }

    /// A new admin token for the read API, recorded under `name` (the name
    /// devices see in their access log). Shown once; only its hash is kept.
    pub fn issue_admin_token(&self, name: &str) -> Result<String, ServerError> {
        check_label("admin name", name)?;
        let token = new_secret(ADMIN_TOKEN_PREFIX)?;
        let added = self.runtime.block_on(self.store.add_admin(
            name.to_owned(),
            hash(&token),
            now_ms(),
        ))?;
        if !added {
            return Err(ServerError::AdminExists(name.to_owned()));
        }
        Ok(token)
    }

    /// Every stored bucket with its device, sorted by device and key. Not an
    /// admin read of anyone's usage (no access log): for tests and checks.
    pub fn buckets(&self) -> Result<Vec<StoredBucket>, ServerError> {
        self.runtime.block_on(self.store.buckets())
    }

    /// Every enrolled device.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
        self.runtime.block_on(self.store.devices())
    }

    /// Refuses the device's token from now on; its data stays until deleted.
    pub fn revoke(&self, device_id: &str) -> Result<(), ServerError> {
        let found = self
            .runtime
            .block_on(self.store.revoke(device_id.to_owned(), now_ms()))?;
        found
            .then_some(())
            .ok_or_else(|| ServerError::NoDevice(device_id.to_owned()))
    }

    /// Maps a device to a person and team (labels of ids, not free text).
    pub fn assign(&self, device_id: &str, person: &str, team: &str) -> Result<(), ServerError> {
        check_label("person", person)?;
        check_label("team", team)?;
        let found = self.runtime.block_on(self.store.assign(
            device_id.to_owned(),
            person.to_owned(),
            team.to_owned(),
        ))?;
        found
            .then_some(())
            .ok_or_else(|| ServerError::NoDevice(device_id.to_owned()))
    }

    /// Who read a device's data, newest first.
    pub fn access_log(&self, device_id: &str) -> Result<Vec<AccessEntry>, ServerError> {
        self.runtime
            .block_on(self.store.access_log(device_id.to_owned()))
    }

    /// Sums per person, team, period, tool and model; logged as a read by
    /// `who` of every device exported.
    pub fn export(&self, who: &str) -> Result<Vec<ExportRow>, ServerError> {
        let reader = Reader {
            who: who.to_owned(),
            what: "export all".to_owned(),
            at_ms: now_ms(),
        };
        let rows = self.runtime.block_on(self.store.export_rows(reader))?;
        type Key = (String, String, i64, &'static str, &'static str, String);
        let mut sums: BTreeMap<Key, (std::collections::BTreeSet<String>, Totals)> = BTreeMap::new();
        for (device, b) in rows {
            let person = device
                .person
                .clone()
                .unwrap_or_else(|| format!("device:{}", device.id));
            let team = device.team.clone().unwrap_or_else(|| UNASSIGNED.to_owned());
            let key = (
                person,
                team,
                b.start,
                b.period.as_str(),
                b.tool.0.as_str(),
                b.model.as_str().to_owned(),
            );
            let entry = sums.entry(key).or_default();
            entry.0.insert(device.id);
            entry.1.add(&Totals {
                input: b.input,
                cache_read: b.cache_read,
                cache_write: b.cache_write,
                output: b.output,
                reasoning: b.reasoning,
                calls: b.calls(),
            });
        }
        Ok(sums
            .into_iter()
            .map(
                |((person, team, start, period, tool, model), (devices, totals))| ExportRow {
                    person,
                    team,
                    start,
                    period,
                    tool,
                    model,
                    devices: devices.len() as u64,
                    totals,
                },
            )
            .collect())
    }
}
