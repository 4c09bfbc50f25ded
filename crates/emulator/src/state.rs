//! The emulator's in-memory state (files, jobs with their events and checkpoints, permissions,
//! deleted models) and the helpers every handler shares: ids, the clock, persistence.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Everything the emulator remembers; serialized as-is to the `--state` file.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub files: Vec<FileRec>,
    pub jobs: Vec<Job>,
    pub permissions: Vec<Permission>,
    /// Fine-tuned model names deleted through `DELETE /v1/models/{model}`.
    pub deleted_models: Vec<String>,
    /// Azure Resource Manager's deployments (`arm.rs`).
    pub deployments: Vec<Deployment>,
    #[serde(skip)]
    pub rng: Rng,
}

/// An Azure OpenAI deployment, as Azure Resource Manager keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    pub subscription: String,
    pub group: String,
    pub account: String,
    pub name: String,
    pub model: String,
    pub version: String,
    pub format: String,
    pub sku: String,
    pub capacity: u32,
    /// `provisioningState`.
    pub provisioning_state: String,
    /// Reads left before the current operation moves on (see `arm.rs`).
    pub steps_left: u64,
    /// The resource's `tags`.
    #[serde(default)]
    pub tags: serde_json::Map<String, Value>,
}

/// An uploaded (or generated result) file. Content is kept as text: fine-tuning files are JSONL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRec {
    pub id: String,
    pub filename: String,
    pub purpose: String,
    pub bytes: u64,
    pub created_at: u64,
    pub expires_at: Option<u64>,
    pub content: String,
    /// Processing status; files from before this field existed were usable, hence the default.
    #[serde(default)]
    pub status: FileStatus,
    /// Why processing failed (`status: error`).
    #[serde(default)]
    pub status_details: Option<String>,
    /// Wall-clock millisecond of the upload, from which processing steps are counted.
    #[serde(default)]
    pub uploaded_ms: u64,
    /// Where an imported file (Azure's `POST /files/import`) was to be fetched from.
    #[serde(default)]
    pub import_url: Option<String>,
}

/// A file's processing status. Azure uploads start `pending`, go `running`, and end `processed` or
/// `error`; OpenAI files are `processed` at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Pending,
    Running,
    #[default]
    Processed,
    Error,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Pending => "pending",
            FileStatus::Running => "running",
            FileStatus::Processed => "processed",
            FileStatus::Error => "error",
        }
    }
}

/// Job status, including `paused`, which the spec's pause example returns but its enum omits, and
/// Azure's transitional `pausing`/`resuming` (each lasts one step). How a status is spelled on the
/// wire depends on the flavour (`Flavor::status_name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    ValidatingFiles,
    Queued,
    Running,
    Pausing,
    Paused,
    Resuming,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::ValidatingFiles => "validating_files",
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Pausing => "pausing",
            JobStatus::Paused => "paused",
            JobStatus::Resuming => "resuming",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// The fine-tuning method, after validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Supervised,
    Dpo,
    Reinforcement,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Supervised => "supervised",
            Method::Dpo => "dpo",
            Method::Reinforcement => "reinforcement",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub created_at: u64,
    pub model: String,
    /// The base snapshot used in model names (differs from `model` when fine-tuning an `ft:` model).
    pub base_snapshot: String,
    pub organization_id: String,
    pub status: JobStatus,
    pub training_file: String,
    pub validation_file: Option<String>,
    pub fine_tuned_model: Option<String>,
    pub finished_at: Option<u64>,
    pub estimated_finish: Option<u64>,
    pub trained_tokens: Option<u64>,
    pub result_files: Vec<String>,
    pub seed: u64,
    pub suffix: Option<String>,
    pub method: Method,
    /// The resolved `method` object echoed back (hyperparameters with numbers instead of "auto").
    pub method_echo: Value,
    /// The resolved top-level `hyperparameters` object.
    pub hyperparameters: Value,
    pub integrations: Option<Value>,
    /// Azure's `trainingType`, canonical lower-case (`standard`, `global`, `developer`).
    #[serde(default)]
    pub training_type: Option<String>,
    pub metadata: Option<serde_json::Map<String, Value>>,
    pub error: Option<Value>,
    pub n_epochs: u64,
    pub batch_size: u64,
    /// Unique part of the fine-tuned model name, fixed at creation so checkpoints can use it.
    pub model_tag: String,
    /// Epochs finished so far.
    pub epochs_done: u64,
    /// Training steps per epoch, known once the training file is validated.
    pub steps_per_epoch: u64,
    /// Wall-clock millisecond at which the next logical step happens.
    pub next_step_ms: u64,
    pub events: Vec<Event>,
    pub checkpoints: Vec<Checkpoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub created_at: u64,
    pub level: String,
    pub message: String,
    pub kind: String,
    pub data: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub id: String,
    pub created_at: u64,
    pub fine_tuned_model_checkpoint: String,
    pub step_number: u64,
    pub metrics: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Permission {
    pub id: String,
    pub created_at: u64,
    pub project_id: String,
    /// The checkpoint or fine-tuned model name the permission is on.
    pub checkpoint: String,
}

impl State {
    /// Loads the state file if it exists; a missing file is an empty state.
    pub fn load(path: &Path) -> anyhow::Result<State> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("invalid state file \"{}\": {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(anyhow::anyhow!(
                "cannot read state file \"{}\": {e}",
                path.display()
            )),
        }
    }

    /// Writes the state atomically (temp file then rename) so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    pub fn file(&self, id: &str) -> Option<&FileRec> {
        self.files.iter().find(|f| f.id == id)
    }
}

/// A small xorshift generator for ids; ids only need to be unique, not unpredictable.
#[derive(Debug)]
pub struct Rng(u64);

impl Default for Rng {
    fn default() -> Self {
        // The counter keeps generators made in the same millisecond (several emulators in one test
        // process) from producing the same ids.
        static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seed = now_ms()
            ^ (u64::from(std::process::id()) << 32)
            ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ 0x2545_F491_4F6C_DD1D;
        Rng(seed | 1)
    }
}

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `prefix` followed by `len` alphanumeric characters.
    pub fn id(&mut self, prefix: &str, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut s = String::from(prefix);
        for _ in 0..len {
            s.push(ALPHABET[(self.next() % ALPHABET.len() as u64) as usize] as char);
        }
        s
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
