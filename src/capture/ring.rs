//! Reading the ring buffer: sleep until the kernel forces a wakeup or the
//! timer runs out, then drain what is there in batches.
//!
//! The kernel submits without waking the reader (see PERF-NOTES.md), so the
//! caller drains on a ~10 ms timer. Per record the cost is one copy out of
//! the ring and a conversion; the only allocation is the `Arc` of an AF_UNIX
//! path, and there are no syscalls.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::Duration;

use libbpf_rs::{MapCore, RingBuffer, RingBufferBuilder};

use crate::format::AcceptEvent;

use super::convert::{decode, to_accept_event};
use super::error::CaptureError;
use super::skel::types::accept_event;

/// Records handed to the sink per batch; bounds the staging buffer.
const DRAIN_BATCH: usize = 4096;

/// The ring reader. Records are converted in libbpf's callback into a staging
/// buffer, which [`EventRing::drain`] hands to its sink after each batch.
pub(crate) struct EventRing {
    ring: RingBuffer<'static>,
    staged: Rc<RefCell<Vec<AcceptEvent>>>,
    /// Records too short or of an unknown kind: a kernel/user-space mismatch.
    malformed: Rc<Cell<u64>>,
    /// Most records the ring can hold; a drain stops after that many batches'
    /// worth so that a producer faster than us cannot keep it looping forever.
    capacity_records: usize,
}

impl std::fmt::Debug for EventRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRing").field("malformed", &self.malformed.get()).finish_non_exhaustive()
    }
}

impl EventRing {
    pub(crate) fn new(map: &dyn MapCore, ring_size: u32) -> Result<EventRing, CaptureError> {
        let staged = Rc::new(RefCell::new(Vec::with_capacity(DRAIN_BATCH)));
        let malformed = Rc::new(Cell::new(0));
        let (to_stage, to_count) = (Rc::clone(&staged), Rc::clone(&malformed));
        let mut builder = RingBufferBuilder::new();
        builder
            .add(map, move |record: &[u8]| {
                // No panics here: this runs inside libbpf's C callback.
                let Some(event) = decode(record).as_ref().and_then(to_accept_event) else {
                    to_count.set(to_count.get() + 1);
                    return 0;
                };
                match to_stage.try_borrow_mut() {
                    Ok(mut staged) => {
                        staged.push(event);
                        0
                    }
                    // Stops consuming; the record stays in the ring for the next drain.
                    Err(_) => -libc::EBUSY,
                }
            })
            .map_err(CaptureError::bpf("reading the ring buffer"))?;
        let ring = builder.build().map_err(CaptureError::bpf("reading the ring buffer"))?;
        let capacity_records = ring_size as usize / std::mem::size_of::<accept_event>() + DRAIN_BATCH;
        Ok(EventRing { ring, staged, malformed, capacity_records })
    }

    /// Sleeps until the kernel forces a wakeup (the ring is filling up) or
    /// `timeout` passes. A signal ends the wait early without an error.
    pub(crate) fn wait(&self, timeout: Duration) -> Result<(), CaptureError> {
        // Round up, so a sub-millisecond wait still sleeps instead of spinning.
        let millis = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        let mut ready = [libc::epoll_event { events: 0, u64: 0 }];
        // SAFETY: the epoll fd lives as long as `self.ring`; `ready` is a valid
        // buffer of the one event we ask for.
        let rc = unsafe { libc::epoll_wait(self.ring.epoll_fd(), ready.as_mut_ptr(), 1, millis) };
        if rc < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(CaptureError::Wait(err));
            }
        }
        Ok(())
    }

    /// Hands every record available now to `sink`, oldest first.
    pub(crate) fn drain(&mut self, sink: &mut dyn FnMut(AcceptEvent)) -> Result<usize, CaptureError> {
        let mut total = 0;
        while total < self.capacity_records {
            let consumed = self.ring.consume_raw_n(DRAIN_BATCH);
            if consumed < 0 && consumed != -libc::EBUSY {
                return Err(CaptureError::Ring(io::Error::from_raw_os_error(-consumed)));
            }
            let mut staged = self.staged.borrow_mut();
            total += staged.len();
            staged.drain(..).for_each(&mut *sink);
            if consumed < DRAIN_BATCH as i32 {
                break;
            }
        }
        Ok(total)
    }

    pub(crate) fn malformed(&self) -> u64 {
        self.malformed.get()
    }
}
