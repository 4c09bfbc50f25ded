//! The `openai-ft-emulator` binary: parses the CLI flags into a [`Config`], starts the emulator and
//! prints `listening on http://HOST:PORT` as the first stdout line, then serves until killed.

use openai_ft_emulator::{Config, Flavor, start};
use std::io::Write;
use std::process::ExitCode;

const HELP: &str = "\
openai-ft-emulator: a local, stateful emulator of the OpenAI fine-tuning API

USAGE:
    openai-ft-emulator [FLAGS]

FLAGS:
    --flavor NAME                 openai (default, under /v1), azure (Azure OpenAI v1, under
                                  /openai/v1) or azure-classic (dated api-version, under /openai)
    --listen ADDR                 address to listen on (default 127.0.0.1:0, a free port)
    --api-key KEY                 accept KEY as a project API key / Azure resource key (repeatable)
    --ad-token TOKEN              Azure: accept TOKEN as a bearer Entra token (repeatable)
    --admin-key KEY               accept KEY as an Owner admin key (repeatable)
    --admin-key-no-owner KEY      admin key whose user is not an Owner: permission calls get 403
    --admin-key-read-only KEY     admin key with only api.fine_tuning.checkpoints.read
    --step-ms N                   milliseconds per job step (default 1000)
    --org ORG                     organization id (default org-emulator)
    --state FILE                  persist state to FILE (JSON) and reload it on start
    --model-shutdown MODEL=DATE   set shutdown_date (YYYY-MM-DD) on MODEL (repeatable)
    --log                         one line per request on stderr (method, path, status)
    -h, --help                    print this help

The first stdout line is `listening on http://HOST:PORT`. Control endpoints live under
/_emulator (faults, requests, requests/log, journal, reset, jobs/ID/fail); see the crate README.
";

enum Parsed {
    Run(Box<Config>),
    Help,
}

fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut config = Config::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(Parsed::Help);
        }
        if flag == "--log" {
            config.log_requests = true;
            continue;
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (flag.as_str(), None),
        };
        let known = [
            "--flavor",
            "--ad-token",
            "--listen",
            "--api-key",
            "--admin-key",
            "--admin-key-no-owner",
            "--admin-key-read-only",
            "--step-ms",
            "--org",
            "--state",
            "--model-shutdown",
        ];
        if !known.contains(&name) {
            return Err(format!("unknown flag \"{flag}\" (see --help)"));
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .cloned()
                .ok_or_else(|| format!("flag \"{name}\" needs a value"))?,
        };
        match name {
            "--flavor" => {
                config.flavor = Flavor::parse(&value).ok_or_else(|| {
                    format!("invalid --flavor \"{value}\": must be openai, azure or azure-classic")
                })?;
            }
            "--ad-token" => config.ad_tokens.push(value),
            "--listen" => config.listen = value,
            "--api-key" => config.api_keys.push(value),
            "--admin-key" => config.admin_keys.push(value),
            "--admin-key-no-owner" => config.admin_keys_no_owner.push(value),
            "--admin-key-read-only" => config.admin_keys_read_only.push(value),
            "--step-ms" => {
                config.step_ms = value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    format!("invalid --step-ms \"{value}\": must be an integer >= 1")
                })?;
            }
            "--org" => config.org = value,
            "--state" => config.state_file = Some(value.into()),
            "--model-shutdown" => {
                let (model, date) = value.split_once('=').ok_or_else(|| {
                    format!("invalid --model-shutdown \"{value}\": expected MODEL=YYYY-MM-DD")
                })?;
                config
                    .model_shutdown
                    .insert(model.to_string(), date.to_string());
            }
            _ => return Err(format!("unknown flag \"{flag}\" (see --help)")),
        }
    }
    Ok(Parsed::Run(Box::new(config)))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args)? {
        Parsed::Help => {
            print!("{HELP}");
            return Ok(());
        }
        Parsed::Run(c) => *c,
    };
    let running = start(config).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", running.base()).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    running.wait();
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.starts_with("unknown flag")
                || e.starts_with("flag ")
                || e.starts_with("invalid --") =>
        {
            eprintln!("openai-ft-emulator: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("openai-ft-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
