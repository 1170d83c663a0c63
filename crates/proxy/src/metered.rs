//! A response body that passes every frame through unchanged, as it
//! arrives, while the tap reads a copy; the call is recorded when the body
//! ends, fails, or is dropped by a client that went away.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::{
    record::{CallMeta, Recorder},
    tap::{End, Tap},
};

/// The tap and what is needed to record its result, until the body ends.
struct Metering {
    tap: Tap,
    meta: CallMeta,
    recorder: Arc<Recorder>,
}

impl Metering {
    /// Records the call; an estimate is made on the recorder's thread.
    fn finish(self, end: End) {
        let Metering {
            tap,
            meta,
            recorder,
        } = self;
        recorder.conclude(meta, tap.conclude(end));
    }
}

/// The upstream body, metered on the side.
pub struct Metered<B> {
    inner: B,
    metering: Option<Metering>,
}

impl<B> Metered<B> {
    /// Meters `inner` with `tap`; with no tap, passes it through.
    pub fn new(inner: B, tap: Option<Tap>, meta: CallMeta, recorder: Arc<Recorder>) -> Self {
        Metered {
            inner,
            metering: tap.map(|tap| Metering {
                tap,
                meta,
                recorder,
            }),
        }
    }

    fn end(&mut self, end: End) {
        if let Some(metering) = self.metering.take() {
            metering.finish(end);
        }
    }
}

impl<B> Body for Metered<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(m)) = (frame.data_ref(), self.metering.as_mut()) {
                    m.tap.feed(data);
                }
                if self.inner.is_end_stream() {
                    self.end(End::Complete);
                }
            }
            Poll::Ready(Some(Err(_))) => self.end(End::CutOff),
            Poll::Ready(None) => self.end(End::Complete),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for Metered<B> {
    fn drop(&mut self) {
        // Dropped before its end: the client went away mid-stream.
        self.end(End::CutOff);
    }
}
