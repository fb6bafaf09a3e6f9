//! Loading the BPF object and choosing how security_socket_accept is hooked.
//!
//! fentry is the cheapest and most exact hook, kprobe the next, and the
//! sys_enter_accept{,4} tracepoints work everywhere. Which ones a kernel
//! allows is only known by trying: each attempt opens a fresh skeleton, since
//! libbpf cannot load an object again after a failed load, and the reason
//! each stronger hook failed is kept for the recording's header.

use std::fmt;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use libbpf_rs::skel::{OpenSkel, SkelBuilder};
use libbpf_rs::{Link, OpenObject};

use crate::format::{EventKind, HookInfo};

use super::HookChoice;
use super::error::CaptureError;
use super::libbpf_log::QuietLibbpf;
use super::pushdown::KernelSettings;
use super::skel::{AcceptSkel, AcceptSkelBuilder};

/// One way of hooking security_socket_accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SecurityHook {
    Fentry,
    Kprobe,
    Tracepoint,
}

impl SecurityHook {
    fn name(self) -> &'static str {
        match self {
            SecurityHook::Fentry => "fentry",
            SecurityHook::Kprobe => "kprobe",
            SecurityHook::Tracepoint => "tracepoint",
        }
    }

    fn attach_point(self) -> &'static str {
        match self {
            SecurityHook::Fentry => "fentry security_socket_accept",
            SecurityHook::Kprobe => "kprobe security_socket_accept",
            SecurityHook::Tracepoint => "tracepoint syscalls/sys_enter_accept{,4}",
        }
    }

    /// The hooks to try for a choice, strongest first.
    fn candidates(choice: HookChoice) -> &'static [SecurityHook] {
        match choice {
            HookChoice::Auto => &[SecurityHook::Fentry, SecurityHook::Kprobe, SecurityHook::Tracepoint],
            HookChoice::Fentry => &[SecurityHook::Fentry],
            HookChoice::Kprobe => &[SecurityHook::Kprobe],
            HookChoice::Tracepoint => &[SecurityHook::Tracepoint],
        }
    }
}

/// socket_accept always comes from the sys_exit tracepoints.
const SOCKET_ACCEPT_HOOK: &str = "tracepoint";
const SOCKET_ACCEPT_DETAIL: &str = "tracepoint syscalls/sys_exit_accept{,4}";

const TRACEPOINT_HINT: &str = "the kernel needs syscall tracepoints (CONFIG_FTRACE_SYSCALLS) \
     and BPF ring buffers (Linux 5.8 or later)";

/// Heap storage for the libbpf object a skeleton borrows.
///
/// A skeleton borrows its object storage, but a [`LoadedSkel`] has to own
/// both. The storage is a leaked box that only this type frees, and it must
/// be declared (and so dropped) after every skeleton that borrows it.
struct ObjectSlot(NonNull<MaybeUninit<OpenObject>>);

impl ObjectSlot {
    fn new() -> ObjectSlot {
        ObjectSlot(NonNull::from(Box::leak(Box::new(MaybeUninit::uninit()))))
    }

    /// # Safety
    /// Call at most once, and drop whatever borrows the result before `self`.
    unsafe fn borrow_for_skeleton(&self) -> &'static mut MaybeUninit<OpenObject> {
        // SAFETY: the pointer came from Box::leak and is not used elsewhere.
        unsafe { &mut *self.0.as_ptr() }
    }
}

impl Drop for ObjectSlot {
    fn drop(&mut self) {
        // SAFETY: allocated by Box in `new`; the skeleton that used it (and
        // dropped the object inside) is gone, as the callers guarantee.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

/// A loaded, attached BPF object. Fields drop in order: links detach first,
/// then the skeleton closes the object, then its storage is freed.
pub(crate) struct LoadedSkel {
    links: Vec<Link>,
    pub(crate) skel: AcceptSkel<'static>,
    _slot: ObjectSlot,
}

impl fmt::Debug for LoadedSkel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedSkel").field("links", &self.links.len()).finish_non_exhaustive()
    }
}

/// Why one attempt failed.
enum AttemptError {
    /// This hook is not usable here; the next one may be.
    Hook { stage: &'static str, error: libbpf_rs::Error },
    /// Nothing else will do better (bad settings, no memory, ...).
    Fatal(CaptureError),
}

/// Loads and attaches the programs, picking the security hook by `choice`.
pub(crate) fn load_and_attach(
    settings: &KernelSettings,
    choice: HookChoice,
) -> Result<(LoadedSkel, Vec<HookInfo>), CaptureError> {
    let quiet = QuietLibbpf::start();
    let mut hooks = Vec::new();
    if settings.wants(EventKind::SocketAccept) {
        hooks.push(HookInfo {
            event: EventKind::SocketAccept,
            hook: SOCKET_ACCEPT_HOOK.into(),
            detail: SOCKET_ACCEPT_DETAIL.into(),
        });
    }
    if !settings.wants(EventKind::SecuritySocketAccept) {
        return match attempt(settings, None) {
            Ok(loaded) => Ok((loaded, hooks)),
            Err(AttemptError::Fatal(err)) => Err(err),
            Err(AttemptError::Hook { stage, error }) => Err(CaptureError::NoHook {
                detail: format!("tracepoint: {stage} failed: {}", errno_name(&error)),
                hint: TRACEPOINT_HINT,
                libbpf_log: quiet.take_lines(),
            }),
        };
    }

    let mut failures = Vec::new();
    for &hook in SecurityHook::candidates(choice) {
        match attempt(settings, Some(hook)) {
            Ok(loaded) => {
                // The attach point, then why each stronger hook was passed over.
                let detail =
                    [hook.attach_point().to_string()].into_iter().chain(failures).collect::<Vec<_>>();
                let detail = detail.join("; ");
                hooks.push(HookInfo {
                    event: EventKind::SecuritySocketAccept,
                    hook: hook.name().into(),
                    detail,
                });
                return Ok((loaded, hooks));
            }
            Err(AttemptError::Fatal(err)) => return Err(err),
            Err(AttemptError::Hook { stage, error }) => {
                failures.push(format!("{}: {stage} failed: {}", hook.name(), errno_name(&error)));
            }
        }
    }
    let hint = if choice == HookChoice::Auto || choice == HookChoice::Tracepoint {
        TRACEPOINT_HINT
    } else {
        "this kernel does not allow that hook; use --hook auto to fall back"
    };
    Err(CaptureError::NoHook { detail: failures.join("; "), hint, libbpf_log: quiet.take_lines() })
}

/// One try in a fresh skeleton: `security` picks the security_socket_accept
/// program, `None` when that event is not captured.
fn attempt(settings: &KernelSettings, security: Option<SecurityHook>) -> Result<LoadedSkel, AttemptError> {
    let fatal = |what| move |source| AttemptError::Fatal(CaptureError::Bpf { what, source });
    let slot = ObjectSlot::new();
    // SAFETY: called once; `open` and `skel` are locals declared after `slot`
    // (dropped before it), or move into a LoadedSkel that drops them before it.
    let storage = unsafe { slot.borrow_for_skeleton() };
    let mut open = AcceptSkelBuilder::default().open(storage).map_err(fatal("opening the BPF object"))?;

    open.maps.events.set_max_entries(settings.ring_size).map_err(fatal("sizing the ring buffer"))?;
    let Some(rodata) = open.maps.rodata_data.as_deref_mut() else {
        return Err(AttemptError::Fatal(CaptureError::InvalidConfig(
            "the BPF object has no configuration section; rebuild accept-rec".into(),
        )));
    };
    settings.write_rodata(rodata, security == Some(SecurityHook::Tracepoint));
    open.progs.security_accept_fentry.set_autoload(security == Some(SecurityHook::Fentry));
    open.progs.security_accept_kprobe.set_autoload(security == Some(SecurityHook::Kprobe));

    let skel = open.load().map_err(|error| AttemptError::Hook { stage: "load", error })?;
    let mut loaded = LoadedSkel { links: Vec::new(), skel, _slot: slot };

    let progs = &loaded.skel.progs;
    // The security program first: it is the one expected to fail.
    let security_prog = match security {
        Some(SecurityHook::Fentry) => Some(&progs.security_accept_fentry),
        Some(SecurityHook::Kprobe) => Some(&progs.security_accept_kprobe),
        _ => None,
    };
    let mut links = Vec::with_capacity(5);
    for prog in security_prog.into_iter().chain([
        &progs.enter_accept,
        &progs.enter_accept4,
        &progs.exit_accept,
        &progs.exit_accept4,
    ]) {
        links.push(prog.attach().map_err(|error| AttemptError::Hook { stage: "attach", error })?);
    }
    loaded.links = links;
    Ok(loaded)
}

/// `EPERM` for an error that carries an errno, else the message.
fn errno_name(error: &libbpf_rs::Error) -> String {
    let message = format!("{error:#}");
    let code = message
        .rsplit_once("(os error ")
        .and_then(|(_, tail)| tail.strip_suffix(')'))
        .and_then(|code| code.parse::<i32>().ok());
    match code {
        Some(code) => format!("{:?}", nix::errno::Errno::from_raw(code)),
        None => message,
    }
}
