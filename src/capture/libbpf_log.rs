//! Keeps libbpf's own messages off stderr while hooks are probed.
//!
//! Trying fentry on a kernel that refuses it is expected, and libbpf would
//! print a verifier log for it. The messages are kept instead (per thread,
//! since libbpf calls back on the thread that called it), so that a capture
//! which fails altogether can still say what libbpf said.

use std::cell::RefCell;
use std::sync::Mutex;

use libbpf_rs::{PrintCallback, PrintLevel};

/// Lines kept per thread; the tail of a verifier log is the part that matters.
const KEPT_LINES: usize = 40;

thread_local! {
    static LINES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// How many guards are alive, and the printer to restore when the last goes.
static STATE: Mutex<(usize, Option<(PrintLevel, PrintCallback)>)> = Mutex::new((0, None));

/// While alive, libbpf's messages are collected instead of printed.
#[derive(Debug)]
pub(crate) struct QuietLibbpf(());

impl QuietLibbpf {
    pub(crate) fn start() -> QuietLibbpf {
        LINES.with(|lines| lines.borrow_mut().clear());
        let mut state = STATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.0 == 0 {
            state.1 = libbpf_rs::set_print(Some((PrintLevel::Warn, collect)));
        }
        state.0 += 1;
        QuietLibbpf(())
    }

    /// What libbpf said on this thread since [`QuietLibbpf::start`].
    pub(crate) fn take_lines(&self) -> Vec<String> {
        LINES.with(|lines| std::mem::take(&mut *lines.borrow_mut()))
    }
}

impl Drop for QuietLibbpf {
    fn drop(&mut self) {
        let mut state = STATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.0 -= 1;
        if state.0 == 0 {
            let previous = state.1.take();
            libbpf_rs::set_print(previous);
        }
    }
}

fn collect(_level: PrintLevel, message: String) {
    LINES.with(|lines| {
        let Ok(mut lines) = lines.try_borrow_mut() else { return };
        for line in message.lines().filter(|line| !line.trim().is_empty()) {
            if lines.len() == KEPT_LINES {
                lines.remove(0);
            }
            lines.push(line.to_string());
        }
    });
}
