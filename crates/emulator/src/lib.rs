//! `openai-ft-emulator`: a local, stateful emulator of the OpenAI fine-tuning API (files, jobs,
//! checkpoint permissions, models) with scripted faults, for tests and demos; `Config::flavor`
//! switches it to Azure OpenAI's v1 or classic surface. Start one in-process
//! with [`start`]; it serves on a background thread until the returned [`Running`] is dropped.
//! With the `harness` feature, `harness` is the test harness built on it.

mod arm;
mod auth;
mod config;
mod entra;
mod errors;
mod faults;
mod files;
mod flavor;
#[cfg(feature = "harness")]
pub mod harness;
mod inference;
mod jobs;
mod models;
mod pagination;
mod permissions;
mod query;
mod server;
mod state;

pub use auth::mask_key;
pub use config::{Config, DEFAULT_TENANT};
pub use entra::{EXCHANGE_AUDIENCE, GITHUB_ISSUER, GITHUB_PATH, GITHUB_SUBJECT, base64url};
pub use faults::{Cursor, EchoInto, FaultKind, FaultRule};
pub use flavor::{
    CLASSIC_API_VERSIONS, Dated, Flavor, Keep, Mount, Need, Surface, Switches, V1Statuses,
};
pub use server::{JournalEntry, LogEntry};

use server::{Clock, Shared, lock};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A running emulator. Dropping it stops the server and waits for its thread.
pub struct Running {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Base URL of the API for the flavour: `http://127.0.0.1:4321/v1` (OpenAI),
    /// `…/openai/v1` (Azure v1) or `…/openai` (Azure classic).
    pub fn url(&self) -> String {
        format!("{}{}", self.base(), self.shared.config.flavor.prefix())
    }

    /// Base URL without the API prefix, where `/_emulator/*` lives, e.g. `http://127.0.0.1:4321`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The Azure resource endpoint (what `AZURE_OPENAI_ENDPOINT` holds): the same as [`base`](Self::base).
    pub fn endpoint(&self) -> String {
        self.base()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Request counts keyed `"METHOD /path"`, like `GET /_emulator/requests`.
    pub fn requests(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.control).counts.clone()
    }

    /// Every API request in order, like `GET /_emulator/requests/log`.
    pub fn request_log(&self) -> Vec<LogEntry> {
        lock(&self.shared.control).log.clone()
    }

    /// Every response sent, like `GET /_emulator/journal`.
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.shared.control).journal.clone()
    }

    /// Moves the clock of an emulator started with [`Config::manual_clock_ms`] on by `ms`
    /// milliseconds, as `POST /_emulator/clock` does; panics on one that runs on the system clock.
    pub fn advance(&self, ms: u64) {
        assert!(
            self.shared.clock.advance(ms),
            "the emulator runs on the system clock: set Config::manual_clock_ms"
        );
    }

    /// Blocks until the server stops (it only stops when dropped, so this serves forever).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Binds `config.listen`, loads `config.state_file` if any, and serves on a background thread.
pub fn start(config: Config) -> anyhow::Result<Running> {
    let state = match &config.state_file {
        Some(path) => state::State::load(path)?,
        None => state::State::default(),
    };
    config.check()?;
    let listener = std::net::TcpListener::bind(&config.listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on \"{}\": {e}", config.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        clock: Clock::of(&config),
        config,
        addr,
        state: Mutex::new(state),
        control: Mutex::new(server::Control::default()),
        request_ids: Mutex::new(state::Rng::default()),
        tokens: Mutex::new(entra::Tokens::default()),
        endless: Default::default(),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let serving = shared.clone();
    let thread = std::thread::Builder::new()
        .name("openai-ft-emulator".to_string())
        .spawn(move || runtime.block_on(server::serve(listener, serving, rx)))?;
    Ok(Running {
        addr,
        shared,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}
