//! Checkpoint permissions with the admin key: create (one per project, idempotent per project),
//! list with project_id/order/after/limit, delete, and the 400/404 refusals.

use openai_ft_emulator::harness::*;
use serde_json::{Value, json};

fn setup(emu: &Emulator) -> String {
    let job = emu.succeeded_job(2);
    let id = job["id"].as_str().expect("id");
    let ckpts = emu
        .get(&format!("/v1/fine_tuning/jobs/{id}/checkpoints"))
        .ok()
        .clone();
    ckpts["data"][0]["fine_tuned_model_checkpoint"]
        .as_str()
        .expect("checkpoint")
        .to_string()
}

fn projects(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["project_id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn create_list_delete() {
    let emu = Emulator::start(10);
    let ckpt = setup(&emu);
    let path = format!("/v1/fine_tuning/checkpoints/{ckpt}/permissions");
    let created = emu
        .post_as(
            Some(ADMIN_KEY),
            &path,
            Some(&json!({"project_ids": ["proj_a", "proj_b", "proj_c"]})),
        )
        .ok()
        .clone();
    assert_eq!(projects(&created), ["proj_a", "proj_b", "proj_c"]);
    assert_eq!(created["data"][0]["object"], "checkpoint.permission");
    assert!(
        created["data"][0]["id"]
            .as_str()
            .is_some_and(|i| i.starts_with("cp_"))
    );
    assert_eq!(created["has_more"], false);

    let again = emu
        .post_as(
            Some(ADMIN_KEY),
            &path,
            Some(&json!({"project_ids": ["proj_a"]})),
        )
        .ok()
        .clone();
    assert_eq!(
        again["data"][0]["id"], created["data"][0]["id"],
        "granting twice returns the same permission"
    );

    let desc = emu.get_as(Some(ADMIN_KEY), &path).ok().clone();
    assert_eq!(projects(&desc), ["proj_c", "proj_b", "proj_a"]);
    let asc = emu
        .get_as(Some(ADMIN_KEY), &format!("{path}?order=ascending&limit=2"))
        .ok()
        .clone();
    assert_eq!(projects(&asc), ["proj_a", "proj_b"]);
    assert_eq!(asc["has_more"], true);
    assert_eq!(asc["first_id"], created["data"][0]["id"]);
    assert_eq!(asc["last_id"], created["data"][1]["id"]);
    let rest = emu
        .get_as(
            Some(ADMIN_KEY),
            &format!(
                "{path}?order=ascending&limit=2&after={}",
                asc["last_id"].as_str().unwrap_or("")
            ),
        )
        .ok()
        .clone();
    assert_eq!(
        (projects(&rest), rest["has_more"].clone()),
        (vec!["proj_c".to_string()], json!(false))
    );

    let b = emu
        .get_as(Some(ADMIN_KEY), &format!("{path}?project_id=proj_b"))
        .ok()
        .clone();
    assert_eq!(projects(&b), ["proj_b"]);
    let b_id = b["data"][0]["id"].as_str().expect("id");
    let deleted = emu
        .delete_as(Some(ADMIN_KEY), &format!("{path}/{b_id}"))
        .ok()
        .clone();
    assert_eq!(
        deleted,
        json!({"id": b_id, "object": "checkpoint.permission", "deleted": true})
    );
    assert_eq!(
        projects(
            &emu.get_as(Some(ADMIN_KEY), &format!("{path}?project_id=proj_b"))
                .ok()
                .clone()
        ),
        Vec::<String>::new()
    );
    let e = emu
        .delete_as(Some(ADMIN_KEY), &format!("{path}/{b_id}"))
        .error(404)
        .clone();
    assert_eq!(e["param"], "permission_id");

    let empty = emu
        .get_as(Some(ADMIN_KEY), &format!("{path}?project_id=proj_zzz"))
        .ok()
        .clone();
    assert_eq!(
        (empty["first_id"].clone(), empty["last_id"].clone()),
        (Value::Null, Value::Null)
    );
}

#[test]
fn the_fine_tuned_model_itself_can_be_shared() {
    let emu = Emulator::start(10);
    let job = emu.succeeded_job(1);
    let model = job["fine_tuned_model"].as_str().expect("model");
    let path = format!("/v1/fine_tuning/checkpoints/{model}/permissions");
    emu.post_as(
        Some(ADMIN_KEY),
        &path,
        Some(&json!({"project_ids": ["proj_x"]})),
    )
    .ok();
    // Colons may also arrive percent-encoded.
    let encoded = path.replace(':', "%3A");
    assert_eq!(
        projects(&emu.get_as(Some(ADMIN_KEY), &encoded).ok().clone()),
        ["proj_x"]
    );
}

#[test]
fn refusals() {
    let emu = Emulator::start(10);
    let ckpt = setup(&emu);
    let path = format!("/v1/fine_tuning/checkpoints/{ckpt}/permissions");
    let post = |body: Value| emu.post_as(Some(ADMIN_KEY), &path, Some(&body));
    assert_eq!(post(json!({})).error(400)["param"], "project_ids");
    assert_eq!(
        post(json!({"project_ids": []})).error(400)["param"],
        "project_ids"
    );
    assert_eq!(
        post(json!({"project_ids": ["team-a"]})).error(400)["message"],
        "Invalid project id 'team-a': project ids start with 'proj_'."
    );
    assert_eq!(
        post(json!({"project_ids": ["proj_a"], "role": "x"})).error(400)["message"],
        "Unrecognized request argument supplied: role"
    );

    let missing =
        "/v1/fine_tuning/checkpoints/ft:gpt-4o-mini-2024-07-18:org-emulator::nope/permissions";
    let e = emu.get_as(Some(ADMIN_KEY), missing).error(404).clone();
    assert_eq!(e["param"], "fine_tuned_model_checkpoint");
    assert_eq!(
        e["message"],
        "Fine-tuned model checkpoint not found: ft:gpt-4o-mini-2024-07-18:org-emulator::nope"
    );
    emu.post_as(
        Some(ADMIN_KEY),
        missing,
        Some(&json!({"project_ids": ["proj_a"]})),
    )
    .error(404);
    let e = emu
        .get_as(Some(ADMIN_KEY), &format!("{path}?order=asc"))
        .error(400)
        .clone();
    assert_eq!(e["param"], "order");
}
