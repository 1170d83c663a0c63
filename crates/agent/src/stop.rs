//! The stop signal every task watches: a flag for loops that already tick
//! (the watcher), a wait that ends early for threads that sleep, and a
//! channel for async tasks.

use std::{
    sync::{
        Condvar, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

pub(crate) struct StopSignal {
    flag: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    async_tx: tokio::sync::watch::Sender<bool>,
}

impl StopSignal {
    pub(crate) fn new() -> Self {
        StopSignal {
            flag: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            async_tx: tokio::sync::watch::channel(false).0,
        }
    }

    pub(crate) fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.wake.notify_all();
        self.async_tx.send_replace(true);
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Sleeps for `d` or until stopped; true when stopped.
    pub(crate) fn sleep(&self, d: Duration) -> bool {
        let guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        if self.is_stopped() {
            return true;
        }
        let _ = self
            .wake
            .wait_timeout_while(guard, d, |_| !self.is_stopped())
            .unwrap_or_else(PoisonError::into_inner);
        self.is_stopped()
    }

    /// Completes once stopped.
    pub(crate) async fn stopped(&self) {
        let mut rx = self.async_tx.subscribe();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}
