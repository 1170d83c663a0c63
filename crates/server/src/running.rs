//! A server on its own thread and runtime, for tests and embedding: start
//! it from plain blocking code, stop it, or drop it.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::serve::serve;
use crate::{ServerConfig, ServerError};

/// A server that is serving until stopped or dropped.
pub struct RunningServer {
    addr: SocketAddr,
    tls: bool,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), ServerError>>>,
}

impl RunningServer {
    /// Migrates the database, binds and serves on a new thread; returns once
    /// the socket is listening.
    pub fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
        let tls = config.tls.is_some();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tokentally-server".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .thread_name("tokentally-server-worker")
                    .build()?;
                runtime.block_on(serve(
                    config,
                    move |addr| {
                        let _ = ready_tx.send(addr);
                    },
                    async move {
                        // A dropped sender stops the server too.
                        let _ = stop_rx.await;
                    },
                ))
            })?;
        match ready_rx.recv() {
            Ok(addr) => Ok(RunningServer {
                addr,
                tls,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            // The thread ended before binding: its error says why.
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                Ok(Ok(())) => ServerError::Thread("stopped before it was ready".to_owned()),
                Err(_) => ServerError::Thread("panicked while starting".to_owned()),
            }),
        }
    }

    /// The bound address (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| ServerError::Thread("panicked".to_owned()))?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!(error = %e, "server stopped with an error");
        }
    }
}
