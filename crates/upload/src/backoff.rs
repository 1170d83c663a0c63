//! When to try again: exponential backoff with jitter, never sooner than
//! the server's `Retry-After`.

use std::time::Duration;

/// Backoff between failed upload cycles.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// From `base` doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            failures: 0,
        }
    }

    /// After a success: start again from `base`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// After a failure: how long to wait. Half fixed, half random (so
    /// devices that failed together do not come back together), and at
    /// least what the server asked for.
    pub fn fail(&mut self, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << self.failures.min(20))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        let half = exp / 2;
        let jitter = half.mul_f64(fastrand::f64());
        (half + jitter).max(retry_after.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_jitter_up_to_the_cap_and_honours_retry_after() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(60));
        let mut last_cap = Duration::ZERO;
        for n in 0..10u32 {
            let cap = (Duration::from_secs(2) * 2u32.pow(n)).min(Duration::from_secs(60));
            let wait = b.fail(None);
            assert!(wait >= cap / 2 && wait <= cap, "{n}: {wait:?} vs {cap:?}");
            assert!(cap >= last_cap);
            last_cap = cap;
        }
        assert!(b.fail(Some(Duration::from_secs(600))) >= Duration::from_secs(600));
        b.reset();
        assert!(b.fail(None) <= Duration::from_secs(2));
    }
}
