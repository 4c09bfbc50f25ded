//! Authentication and authorization refusals: missing and unknown keys, project keys on the admin
//! permission endpoints, admin keys on project endpoints, non-Owner and read-only admin keys.

use openai_ft_emulator::harness::*;
use serde_json::json;

const SCOPE_HINT: &str = "Check that you have the correct role in your organization (Owner), and if you're using a restricted API key, that it has the necessary scopes.";

#[test]
fn missing_key_is_401_without_code() {
    let emu = Emulator::start(10);
    let r = emu.get_as(None, "/v1/fine_tuning/jobs");
    let e = r.error(401);
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("You didn't provide an API key.")
    );
    assert_eq!(e["type"], "invalid_request_error");
    assert_eq!(e["code"], json!(null));
    assert_eq!(e["param"], json!(null));
    assert!(
        r.header("x-request-id")
            .is_some_and(|id| id.starts_with("req_"))
    );
}

#[test]
fn unknown_key_is_401_invalid_api_key_with_masked_key() {
    let emu = Emulator::start(10);
    let key = "sk-proj-unknown-key-LAST";
    let r = emu.get_as(Some(key), "/v1/models");
    let e = r.error(401);
    assert_eq!(e["code"], "invalid_api_key");
    assert_eq!(
        e["message"],
        "Incorrect API key provided: sk-pro**************LAST. You can find your API key at https://platform.openai.com/account/api-keys."
    );
    assert!(!r.body.to_string().contains(key));
}

#[test]
fn project_key_on_permission_endpoints_lacks_checkpoint_scopes() {
    let emu = Emulator::start(10);
    let ckpt =
        "/v1/fine_tuning/checkpoints/ft:gpt-4o-mini-2024-07-18:org-emulator::abc/permissions";
    let list = emu.get(ckpt);
    assert_eq!(
        list.error(401)["message"],
        format!(
            "You have insufficient permissions for this operation. Missing scopes: api.fine_tuning.checkpoints.read. {SCOPE_HINT}"
        )
    );
    let create = emu.post(ckpt, &json!({"project_ids": ["proj_a"]}));
    assert!(
        create.error(401)["message"]
            .as_str()
            .unwrap_or("")
            .contains("Missing scopes: api.fine_tuning.checkpoints.write.")
    );
    let delete = emu.delete_as(Some(PROJECT_KEY), &format!("{ckpt}/cp_abc"));
    assert!(
        delete.error(401)["message"]
            .as_str()
            .unwrap_or("")
            .contains("Missing scopes: api.fine_tuning.checkpoints.write.")
    );
}

#[test]
fn admin_key_on_project_endpoints_is_refused() {
    let emu = Emulator::start(10);
    for (path, scope) in [
        ("/v1/fine_tuning/jobs", "api.fine_tuning.jobs.read"),
        ("/v1/files", "api.files.read"),
        ("/v1/models", "api.model.read"),
    ] {
        let r = emu.get_as(Some(ADMIN_KEY), path);
        assert_eq!(
            r.error(401)["message"],
            format!(
                "You have insufficient permissions for this operation. Missing scopes: {scope}. {SCOPE_HINT}"
            )
        );
    }
    let r = emu.post_as(
        Some(ADMIN_KEY),
        "/v1/fine_tuning/jobs",
        Some(&json!({"model": "gpt-4o-mini", "training_file": "file-x"})),
    );
    assert!(
        r.error(401)["message"]
            .as_str()
            .unwrap_or("")
            .contains("api.fine_tuning.jobs.write")
    );
}

#[test]
fn non_owner_admin_key_is_403_and_read_only_key_cannot_write() {
    let emu = Emulator::start(10);
    let job = emu.succeeded_job(1);
    let model = job["fine_tuned_model"].as_str().expect("model");
    let path = format!("/v1/fine_tuning/checkpoints/{model}/permissions");

    let r = emu.get_as(Some(ADMIN_KEY_NO_OWNER), &path);
    let e = r.error(403);
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("requires the Owner role in organization org-emulator"),
        "{e}"
    );

    let listed = emu.get_as(Some(ADMIN_KEY_READ_ONLY), &path);
    assert_eq!(listed.ok()["data"], json!([]));
    let created = emu.post_as(
        Some(ADMIN_KEY_READ_ONLY),
        &path,
        Some(&json!({"project_ids": ["proj_a"]})),
    );
    assert!(
        created.error(401)["message"]
            .as_str()
            .unwrap_or("")
            .contains("Missing scopes: api.fine_tuning.checkpoints.write.")
    );

    let ok = emu.post_as(
        Some(ADMIN_KEY),
        &path,
        Some(&json!({"project_ids": ["proj_a"]})),
    );
    assert_eq!(ok.ok()["data"][0]["project_id"], "proj_a");
}

#[test]
fn unknown_url_is_404_invalid_url() {
    let emu = Emulator::start(10);
    let r = emu.get("/v1/fine_tuning/nothing");
    assert_eq!(
        r.error(404)["message"],
        "Invalid URL (GET /v1/fine_tuning/nothing)"
    );
}

/// Entra's token endpoint issues a token for the data plane, which lets the request in until it
/// expires; then, and for a Resource Manager token, the data plane answers Azure's 401. A wrong
/// secret gets Entra's AADSTS7000215, and a key is refused where local auth is disabled.
#[test]
fn entra_tokens_let_in_until_they_expire_and_only_for_cognitive_services() {
    let emu = Emulator::with(|c| {
        c.flavor = openai_ft_emulator::Flavor::Azure;
        c.disable_local_auth = true;
        c.token_lifetime_secs = 1;
        c.entra_clients = vec!["app=secret-0123".into()];
    });
    let token = |scope: &str, secret: &str| {
        emu.call_raw(
            "POST",
            &format!("/{}/oauth2/v2.0/token", openai_ft_emulator::DEFAULT_TENANT),
            &[],
            "application/x-www-form-urlencoded",
            &format!(
                "grant_type=client_credentials&client_id=app&client_secret={secret}&scope={scope}"
            ),
        )
    };
    let data_plane = token(
        "https://cognitiveservices.azure.com/.default",
        "secret-0123",
    );
    assert_eq!(data_plane.status, 200, "{}", data_plane.body);
    assert_eq!(data_plane.body["token_type"], "Bearer");
    assert_eq!(data_plane.body["expires_in"], 1);
    let access = data_plane.body["access_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("eyJ") && access.split('.').count() == 3);
    assert_eq!(
        emu.get_as(Some(&access), "/openai/v1/fine_tuning/jobs")
            .status,
        200
    );
    let expired = "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.";
    let arm = token("https://management.azure.com/.default", "secret-0123").body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = emu.get_as(Some(&arm), "/openai/v1/fine_tuning/jobs");
    assert_eq!(
        (refused.status, &refused.body["error"]["message"]),
        (401, &json!(expired))
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let refused = emu.get_as(Some(&access), "/openai/v1/fine_tuning/jobs");
    assert_eq!(
        (refused.status, &refused.body["error"]["message"]),
        (401, &json!(expired))
    );
    let wrong = token("https://cognitiveservices.azure.com/.default", "wrong-0123");
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["error"], "invalid_client");
    assert_eq!(wrong.body["error_codes"], json!([7000215]));
    let key = emu.get_as(Some(PROJECT_KEY), "/openai/v1/fine_tuning/jobs");
    assert_eq!(key.status, 401);
    assert_eq!(key.body["error"]["code"], "AuthenticationTypeDisabled");
    assert_eq!(
        key.body["error"]["message"],
        "Key based authentication is disabled for this resource."
    );
}
