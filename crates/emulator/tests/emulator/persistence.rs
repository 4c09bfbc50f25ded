//! `state_file`: files, jobs and permissions survive a restart of the emulator.

use openai_ft_emulator::harness::*;
use serde_json::json;

#[test]
fn state_survives_a_restart() {
    let dir = scratch_dir("persistence-test");
    let state_file = dir.join("state.json");
    let with_state = |c: &mut openai_ft_emulator::Config| {
        c.step_ms = 10;
        c.state_file = Some(state_file.clone());
    };

    let (job_id, model) = {
        let emu = Emulator::with(with_state);
        let job = emu.succeeded_job(1);
        let model = job["fine_tuned_model"].as_str().expect("model").to_string();
        let path = format!("/v1/fine_tuning/checkpoints/{model}/permissions");
        emu.post_as(
            Some(ADMIN_KEY),
            &path,
            Some(&json!({"project_ids": ["proj_keep"]})),
        )
        .ok();
        (job["id"].as_str().expect("id").to_string(), model)
    };
    let emu = Emulator::with(with_state);
    let job = emu
        .get(&format!("/v1/fine_tuning/jobs/{job_id}"))
        .ok()
        .clone();
    assert_eq!(
        (job["status"].as_str(), job["fine_tuned_model"].as_str()),
        (Some("succeeded"), Some(model.as_str()))
    );
    let perms = emu
        .get_as(
            Some(ADMIN_KEY),
            &format!("/v1/fine_tuning/checkpoints/{model}/permissions"),
        )
        .ok()
        .clone();
    assert_eq!(perms["data"][0]["project_id"], "proj_keep");
}

#[test]
fn a_corrupt_state_file_is_refused_with_its_path() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("persistence-corrupt");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("state.json");
    std::fs::write(&file, "{not json").expect("write");
    let mut cfg = config(10);
    cfg.state_file = Some(file.clone());
    let err = openai_ft_emulator::start(cfg)
        .err()
        .expect("start fails")
        .to_string();
    assert!(
        err.starts_with(&format!("invalid state file \"{}\"", file.display())),
        "{err}"
    );
}
