//! What every connection shares: the configuration, the API state, the test-facing bookkeeping,
//! and the two things done with them from several places: recording a request and saving state.

use super::journal::{Call, Control, JournalEntry};
use crate::config::Config;
use crate::state::{Rng, State};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Everything a connection needs, shared by all of them.
pub struct Shared {
    pub config: Config,
    /// The bound address, for absolute URLs such as classic create's `Location`.
    pub addr: std::net::SocketAddr,
    pub state: Mutex<State>,
    pub control: Mutex<Control>,
    pub request_ids: Mutex<Rng>,
    /// Every token the emulator's Entra issued.
    pub tokens: Mutex<crate::entra::Tokens>,
    /// How many items endless lists have renamed so far: each new id's number.
    pub endless: AtomicU64,
    pub clock: Clock,
}

/// The time handlers see: the system's, or one a test moves by hand.
pub enum Clock {
    System,
    /// Unix milliseconds, moved only by [`Clock::advance`].
    Manual(AtomicU64),
}

impl Clock {
    /// The clock [`Config::manual_clock_ms`] asks for.
    pub fn of(config: &Config) -> Self {
        match config.manual_clock_ms {
            Some(ms) => Clock::Manual(AtomicU64::new(ms)),
            None => Clock::System,
        }
    }

    /// Unix time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        match self {
            Clock::System => crate::state::now_ms(),
            Clock::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock on by `ms`; returns false (and does nothing) on the system clock.
    pub fn advance(&self, ms: u64) -> bool {
        match self {
            Clock::System => false,
            Clock::Manual(now) => {
                now.fetch_add(ms, Ordering::SeqCst);
                true
            }
        }
    }
}

/// Locks a mutex even if a panicking thread poisoned it: the data is still consistent enough for an
/// emulator, and one failed request must not take the whole server down.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Logs the outcome of an API request (and prints it with `--log`): `status` is `None` when
    /// the connection was dropped, `fault` names the fault applied, `journal` is the response sent.
    pub fn record(
        &self,
        call: &Call,
        status: Option<u16>,
        fault: Option<&'static str>,
        journal: Option<JournalEntry>,
    ) {
        if self.config.log_requests {
            let s = status.map_or("dropped".to_string(), |s| s.to_string());
            eprintln!("{} {} {s}", call.method, call.path);
        }
        lock(&self.control).record(call, status, fault, journal);
    }

    /// Saves `state` to the `--state` file, if there is one. A failure is reported, not fatal: the
    /// emulator keeps serving from memory.
    pub fn persist(&self, state: &State) {
        if let Some(file) = &self.config.state_file
            && let Err(e) = state.save(file)
        {
            eprintln!("openai-ft-emulator: cannot save state: {e}");
        }
    }
}
