//! The host's configuration refusals: keys, base URL and limits, each one line naming the
//! variable and the fix, before any request is sent.

use crate::util::*;
use serde_json::json;

fn job_read() -> Cmd {
    openai_ft(&["job", "read"]).input(json!({"id": "ftjob-abc"}))
}

#[test]
fn a_missing_project_key_names_the_variable() {
    let emulator = Emulator::start(20);
    let line = job_read()
        .env("OPENAI_BASE_URL", &emulator.url())
        .run()
        .only_error();
    assert_eq!(
        line,
        "OPENAI_API_KEY is not set: export a project API key for the fine-tuning API in the \
         environment that runs Terraform"
    );
    assert!(emulator.log().is_empty());
}

#[test]
fn the_admin_key_is_never_a_fallback_for_the_project_key() {
    let emulator = Emulator::start(20);
    let line = job_read()
        .env("OPENAI_BASE_URL", &emulator.url())
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .run()
        .only_error();
    assert_eq!(
        line,
        "OPENAI_API_KEY is not set: export a project API key for the fine-tuning API in the \
         environment that runs Terraform"
    );
    assert!(emulator.log().is_empty());
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let line = job_read()
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env("OPENAI_BASE_URL", "http://api.example.com/v1")
        .run()
        .only_error();
    assert_eq!(
        line,
        r#"invalid OPENAI_BASE_URL "http://api.example.com/v1": must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)"#
    );
}

#[test]
fn malformed_base_urls_are_refused_without_repeating_a_key() {
    let fix = "set it to the API base, for example https://api.openai.com/v1";
    let userinfo = format!("needs a host and no user, query or fragment; {fix}");
    for (url, message) in [
        (
            "api.openai.com/v1",
            format!(
                "invalid OPENAI_BASE_URL: not an absolute URL (its value is not repeated here); {fix}"
            ),
        ),
        (
            "https://user:secret-password@api.openai.com/v1",
            format!(
                r#"invalid OPENAI_BASE_URL "https://[redacted]@api.openai.com/v1": {userinfo}"#
            ),
        ),
        (
            "http://secret-password@example.com/v1",
            format!(r#"invalid OPENAI_BASE_URL "http://[redacted]@example.com/v1": {userinfo}"#),
        ),
        (
            "https://api.openai.com/v1?key=secret-password",
            format!(
                r#"invalid OPENAI_BASE_URL "https://api.openai.com/v1?[redacted]": {userinfo}"#
            ),
        ),
        (
            "ftp://api.openai.com/v1",
            format!(
                r#"invalid OPENAI_BASE_URL "ftp://api.openai.com/v1": the scheme must be https; {fix}"#
            ),
        ),
    ] {
        let out = job_read()
            .env("OPENAI_API_KEY", PROJECT_KEY)
            .env("OPENAI_BASE_URL", url)
            .run();
        assert_eq!(out.only_error(), message);
        assert!(
            !out.stderr.contains("secret-password"),
            "the password is never repeated"
        );
    }
    // A key pasted into the base URL as well as set is redacted wherever it lands.
    let out = job_read()
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env(
            "OPENAI_BASE_URL",
            &format!("https://api.openai.com/{PROJECT_KEY}"),
        )
        .env("OPENAI_FT_FLAVOR", PROJECT_KEY)
        .run();
    assert_eq!(
        out.only_error(),
        r#"invalid OPENAI_FT_FLAVOR "[redacted]": must be openai, azure or azure-classic (unset, it is azure when AZURE_OPENAI_ENDPOINT is set)"#
    );
}

#[test]
fn a_bad_proxy_url_is_refused_without_its_password() {
    let out = job_read()
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env("HTTPS_PROXY", "http://me:proxy-secret-1@[broken")
        .run();
    assert_eq!(
        out.only_error(),
        r#"invalid HTTPS_PROXY "http://[redacted]@[broken": not a proxy URL; set it to one like http://proxy.example.com:3128, or unset it"#
    );
}

#[test]
fn timeouts_and_limits_are_checked() {
    let line = job_read()
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env("OPENAI_FT_TIMEOUT", "soon")
        .run()
        .only_error();
    assert_eq!(
        line,
        r#"invalid OPENAI_FT_TIMEOUT "soon": must be a whole number of seconds 1-86400"#
    );
    let line = job_read()
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env("OPENAI_FT_MEMORY_LIMIT_MIB", "0")
        .run()
        .only_error();
    assert_eq!(
        line,
        r#"invalid OPENAI_FT_MEMORY_LIMIT_MIB "0": must be a whole number 1-4096"#
    );
}

#[test]
fn organization_and_project_headers_do_not_break_requests() {
    let emulator = Emulator::start(20);
    let line = job_read()
        .against(&emulator)
        .env("OPENAI_ORG_ID", "org-emulator")
        .env("OPENAI_PROJECT_ID", "proj_abc")
        .run()
        .error();
    assert!(line.starts_with("api error 404"), "{line}");
}

#[test]
fn an_unreachable_base_fails_after_retries_with_one_line() {
    // Port 9 (discard) on loopback: nothing listens in the test environment.
    let out = job_read()
        .env("OPENAI_API_KEY", PROJECT_KEY)
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .run();
    let line = out.error();
    assert_eq!(
        line,
        "cannot connect to http://127.0.0.1:9/v1 (connection refused); check OPENAI_BASE_URL and that the server is running"
    );
    assert_eq!(out.stderr.matches("; retry ").count(), 2, "{}", out.stderr);
}
