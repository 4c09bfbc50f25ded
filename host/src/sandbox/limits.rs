//! How far the guest may go, enforced: `StoreLimits` caps its memory, and a CPU-time budget
//! checked at every epoch tick stops a guest that computes without end. A call stopped by either
//! ends with an error that names the limit and the variable that raises it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use openai_ft_host_logic::messages::{Notice, notice};
use wasmtime::{Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};

use crate::config::Limits;

/// How much CPU time passes between epoch ticks; the guest's CPU time is checked at each tick.
const TICK: Duration = Duration::from_millis(20);

/// `StoreLimits`, remembering whether it had to refuse memory so the error can say so.
pub(super) struct Limiter {
    limits: StoreLimits,
    refused: bool,
}

impl Limiter {
    pub(super) fn new(limits: &Limits) -> Self {
        Self {
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory)
                .instances(4)
                // Trap at the failed growth itself, so the guest cannot print its own
                // allocation-failure lines before the host's one-line error.
                .trap_on_grow_failure(true)
                .build(),
            refused: false,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, max);
        self.refused |= !matches!(allowed, Ok(true));
        allowed
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, max)
    }
}

/// The CPU-time budget of one call: armed on the store before the guest runs, disarmed after.
pub(super) struct CpuBudget {
    exceeded: Arc<AtomicBool>,
}

impl CpuBudget {
    /// Interrupts the guest at the first epoch tick after the calling thread has used more than
    /// `budget` of CPU time from now, and starts the ticks.
    pub(super) fn arm<T>(store: &mut Store<T>, engine: &Engine, budget: Duration) -> Self {
        let exceeded = Arc::new(AtomicBool::new(false));
        let start = thread_cpu_time();
        let flag = exceeded.clone();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if thread_cpu_time().saturating_sub(start) > budget {
                flag.store(true, Ordering::Relaxed);
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Continue(1))
        });
        cpu_ticker::start(engine);
        Self { exceeded }
    }

    /// Stops the ticks.
    pub(super) fn disarm(&self) {
        cpu_ticker::stop();
    }
}

/// The error for a call that trapped: the limit that stopped it, or a host bug.
pub(super) fn trap_error(
    limits: &Limits,
    limiter: &Limiter,
    cpu: &CpuBudget,
    trap: wasmtime::Error,
) -> anyhow::Error {
    let what = if limiter.refused {
        Notice::MemoryLimit((limits.memory >> 20) as u32)
    } else if cpu.exceeded.load(Ordering::Relaxed) {
        Notice::CpuLimit(limits.cpu.as_secs() as u32)
    } else {
        Notice::Trap(format!("{trap:#}"))
    };
    anyhow::anyhow!(notice(&what))
}

/// Advances the engine's epoch for every [`TICK`] of CPU time the process uses, from a
/// `SIGVTALRM` interval timer: no thread to start, and no ticks at all while the guest waits for
/// the network or sleeps between polls.
mod cpu_ticker {
    use std::sync::OnceLock;

    use wasmtime::Engine;

    use super::TICK;

    static ENGINE: OnceLock<Engine> = OnceLock::new();

    extern "C" fn tick(_signal: libc::c_int) {
        // Async-signal-safe: an initialised OnceLock read and an atomic add.
        if let Some(engine) = ENGINE.get() {
            engine.increment_epoch();
        }
    }

    fn interval(tick: std::time::Duration) -> libc::itimerval {
        let t = libc::timeval {
            tv_sec: tick.as_secs() as libc::time_t,
            tv_usec: tick.subsec_micros() as libc::suseconds_t,
        };
        libc::itimerval {
            it_interval: t,
            it_value: t,
        }
    }

    pub fn start(engine: &Engine) {
        let _ = ENGINE.set(engine.clone());
        // SAFETY: plain POSIX calls with valid, initialised arguments; the handler only does
        // async-signal-safe work, and SA_RESTART keeps interrupted reads and writes going.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = tick as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGVTALRM, &action, std::ptr::null_mut());
            libc::setitimer(libc::ITIMER_VIRTUAL, &interval(TICK), std::ptr::null_mut());
        }
    }

    pub fn stop() {
        // SAFETY: as above; a zero interval disarms the timer.
        unsafe {
            libc::setitimer(
                libc::ITIMER_VIRTUAL,
                &interval(std::time::Duration::ZERO),
                std::ptr::null_mut(),
            );
        }
    }
}

/// CPU time consumed by the calling thread.
fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; this clock exists on every supported system.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}
