//! Requests per device per minute, counted in fixed one-minute windows
//! that start at a device's first request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

pub(crate) struct RateLimiter {
    limit: u32,
    state: Mutex<Windows>,
}

struct Windows {
    by_device: HashMap<String, (Instant, u32)>,
    last_prune: Instant,
}

impl RateLimiter {
    pub(crate) fn new(limit: u32) -> Self {
        RateLimiter {
            limit,
            state: Mutex::new(Windows {
                by_device: HashMap::new(),
                last_prune: Instant::now(),
            }),
        }
    }

    /// Counts one request; `Err(seconds)` until the window ends when the
    /// device is over its limit.
    pub(crate) fn check(&self, device: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // Windows that ended hold nothing worth keeping; drop them about
        // once a minute so the map stays the size of the active fleet.
        if now.duration_since(state.last_prune) > WINDOW {
            state
                .by_device
                .retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            state.last_prune = now;
        }
        let entry = state.by_device.entry(device.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            // Round up: a client waiting the advertised seconds gets through.
            return Err((left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_per_device() {
        let r = RateLimiter::new(3);
        for _ in 0..3 {
            assert!(r.check("a").is_ok());
        }
        let wait = r.check("a").expect_err("over the limit");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(r.check("b").is_ok());
    }
}
