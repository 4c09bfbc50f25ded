//! Signing in to Azure with Entra ID, against a resource that refuses keys (`disableLocalAuth`)
//! and an Entra that issues short-lived tokens: every credential kind of the chain, a wait that
//! outlives several tokens, one refresh and one retry after a 401, and the line that names the
//! credential when the resource keeps refusing. No token, secret or assertion is ever printed.

use crate::util::*;
use openai_ft_emulator::{
    DEFAULT_TENANT, EXCHANGE_AUDIENCE, GITHUB_ISSUER, GITHUB_PATH, GITHUB_SUBJECT, base64url,
};
use serde_json::json;

const SECRET: &str = "client-secret-value-0123";
const IDENTITY_HEADER: &str = "identity-header-secret-0123";
const GITHUB_REQUEST_TOKEN: &str = "github-request-token-0123";
const WORKLOAD_ISSUER: &str = "https://oidc.aks.test/issuer";
const WORKLOAD_SUBJECT: &str = "system:serviceaccount:training:openai-ft";

/// A resource with key authentication off, and its Entra tenant, issuing tokens that live
/// `lifetime` seconds.
fn resource(lifetime: u64, step_ms: u64) -> Emulator {
    Emulator::with(|c| {
        c.flavor = Flavor::Azure;
        c.step_ms = step_ms;
        c.disable_local_auth = true;
        c.token_lifetime_secs = lifetime;
        c.entra_clients = vec![format!("app-secret={SECRET}")];
        c.entra_federated = vec![
            format!("app-workload={WORKLOAD_ISSUER},{WORKLOAD_SUBJECT}"),
            format!("app-github={GITHUB_ISSUER},{GITHUB_SUBJECT}"),
        ];
        c.managed_identity = Some("mi-client-id".into());
        c.identity_header = Some(IDENTITY_HEADER.into());
        c.github_request_token = Some(GITHUB_REQUEST_TOKEN.into());
    })
}

/// What each kind of credential needs in the environment.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    ClientSecret,
    Workload,
    Github,
    AppService,
    Imds,
    AzureCli,
}

const EVERY: [Kind; 6] = [
    Kind::ClientSecret,
    Kind::Workload,
    Kind::Github,
    Kind::AppService,
    Kind::Imds,
    Kind::AzureCli,
];

/// A JWT for Entra's token exchange, as a Kubernetes service account token is.
fn assertion() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let part = |v: serde_json::Value| base64url(v.to_string().as_bytes());
    format!(
        "{}.{}.{}",
        part(json!({"alg": "RS256", "kid": "k8s"})),
        part(
            json!({"iss": WORKLOAD_ISSUER, "sub": WORKLOAD_SUBJECT, "aud": [EXCHANGE_AUDIENCE],
                    "iat": now, "exp": now + 3600})
        ),
        base64url(b"not-a-real-signature-0123456789")
    )
}

/// A fake `az` (in `dir`, to put first on PATH) that signs in as the client-secret application,
/// the way a service principal's `az login` would, and prints what the real one prints.
fn fake_az(dir: &std::path::Path, emulator: &Emulator) -> String {
    let script = format!(
        r#"#!/usr/bin/env python3
import json, sys, time, urllib.parse, urllib.request
args = sys.argv[1:]
if args[:2] != ["account", "get-access-token"] or "--resource" not in args:
    sys.exit("ERROR: unexpected arguments " + " ".join(args))
resource = args[args.index("--resource") + 1]
form = urllib.parse.urlencode({{"grant_type": "client_credentials", "client_id": "app-secret",
    "client_secret": "{SECRET}", "scope": resource + "/.default"}}).encode()
answer = json.load(urllib.request.urlopen("{base}/{DEFAULT_TENANT}/oauth2/v2.0/token", form))
expires = int(time.time()) + answer["expires_in"]
print(json.dumps({{"accessToken": answer["access_token"], "expiresOn":
    time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(expires)), "expires_on": expires,
    "subscription": "00000000-0000-0000-0000-000000000001", "tenant": "{DEFAULT_TENANT}",
    "tokenType": "Bearer"}}, indent=2))
"#,
        base = emulator.running.base()
    );
    let path = dir.join("az");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `openai-ft <args>` for the resource, signing in with `kind` (and no key).
fn signed_in(emulator: &Emulator, kind: Kind, args: &[&str]) -> Cmd {
    let base = emulator.running.base();
    let cmd = openai_ft(args)
        .env("AZURE_OPENAI_ENDPOINT", &emulator.running.endpoint())
        .env("AZURE_AUTHORITY_HOST", &base);
    let app = |cmd: Cmd, id: &str| {
        cmd.env("AZURE_TENANT_ID", DEFAULT_TENANT)
            .env("AZURE_CLIENT_ID", id)
    };
    match kind {
        Kind::ClientSecret => app(cmd, "app-secret").env("AZURE_CLIENT_SECRET", SECRET),
        Kind::Workload => {
            let dir = scratch_dir("signin-workload");
            let file = dir.join("token");
            std::fs::write(&file, assertion()).unwrap();
            app(cmd, "app-workload").env("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap())
        }
        Kind::Github => app(cmd, "app-github")
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                &format!("{base}{GITHUB_PATH}?api-version=2.0"),
            )
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", GITHUB_REQUEST_TOKEN),
        Kind::AppService => cmd
            .env("IDENTITY_ENDPOINT", &format!("{base}/msi/token"))
            .env("IDENTITY_HEADER", IDENTITY_HEADER),
        // The chain finds IMDS by trying it (here on loopback, as the Azure SDKs allow).
        Kind::Imds => cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &base),
        Kind::AzureCli => {
            let path = fake_az(&scratch_dir("signin-az"), emulator);
            cmd.env("PATH", &path)
                .env("OPENAI_FT_AZURE_CREDENTIAL", "azure-cli")
        }
    }
}

/// No token, assertion or secret of the sign-in in `text` (JWTs start `eyJ`, base64 of `{"`).
fn assert_no_secrets(text: &str) {
    for secret in ["eyJ", SECRET, IDENTITY_HEADER, GITHUB_REQUEST_TOKEN] {
        assert!(!text.contains(secret), "{secret} shows in: {text}");
    }
}

fn token_requests(emulator: &Emulator) -> u64 {
    emulator.count(&format!("POST /{DEFAULT_TENANT}/oauth2/v2.0/token"))
        + emulator.count("GET /msi/token")
        + emulator.count("GET /metadata/identity/oauth2/token")
}

#[test]
fn every_credential_kind_signs_in_where_keys_are_refused() {
    let emulator = resource(3600, 5);
    let describe = [
        "a client secret (client id app-secret)",
        "workload identity (client id app-workload)",
        "GitHub Actions' OIDC token (client id app-github)",
        "a managed identity (IDENTITY_ENDPOINT)",
        "a managed identity (IMDS)",
        "the Azure CLI's signed-in account",
    ];
    for (kind, describe) in EVERY.into_iter().zip(describe) {
        let out = signed_in(&emulator, kind, &["file", "upload"])
            .input(json!({"path": data("supervised.jsonl")}))
            .run();
        let file = out.json()["id"].clone();
        assert!(file.starts_with("file-"), "{kind:?}: {file}");
        assert_eq!(
            out.stderr
                .lines()
                .filter(|l| l.contains("signed in"))
                .collect::<Vec<_>>(),
            [format!("openai-ft: signed in to Azure with {describe}")],
            "{kind:?}"
        );
        assert_no_secrets(&out.stdout);
        assert_no_secrets(&out.stderr);
    }
    // The key is refused by this resource, as disableLocalAuth makes it.
    let out = openai_ft(&["file", "upload"])
        .against(&emulator)
        .input(json!({"path": data("supervised.jsonl")}))
        .run();
    assert!(
        out.error().contains("Key based authentication is disabled"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_wait_through_several_token_lifetimes_finishes_with_one_job() {
    for kind in [Kind::Workload, Kind::AppService] {
        let emulator = resource(2, 150);
        let file = signed_in(&emulator, kind, &["file", "upload"])
            .input(json!({"path": data("supervised.jsonl")}))
            .run()
            .json()["id"]
            .clone();
        let before = token_requests(&emulator);
        let out = signed_in(&emulator, kind, &["job", "ensure"])
            .input(
                json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "signin",
                "poll_interval": "0.2", "wait": "true",
                "hyperparameters": "{\"n_epochs\":\"50\"}"}),
            )
            .run();
        let job = out.json();
        assert_eq!(job["status"], "succeeded", "{kind:?}: {}", out.stderr);
        assert!(
            out.elapsed.as_secs() >= 6,
            "{kind:?}: the wait outlives three 2 s tokens ({:?})",
            out.elapsed
        );
        let fetched = token_requests(&emulator) - before;
        assert!(
            fetched >= 3,
            "{kind:?}: {fetched} tokens in {:?}",
            out.elapsed
        );
        assert_eq!(
            emulator.count("POST /openai/v1/fine_tuning/jobs"),
            1,
            "{kind:?}"
        );
        assert_no_secrets(&out.stdout);
        assert_no_secrets(&out.stderr);
    }
}

#[test]
fn a_refused_token_is_refreshed_once_and_the_request_sent_once_more() {
    let emulator = resource(3600, 5);
    emulator.fault(
        json!({"method": "GET", "path": "/openai/v1/fine_tuning/jobs", "fault": 401, "times": 1}),
    );
    let out = signed_in(&emulator, Kind::ClientSecret, &["job", "list"])
        .input(json!({}))
        .run();
    out.json();
    assert_eq!(token_requests(&emulator), 2, "one token, then one refresh");
    assert_eq!(emulator.count("GET /openai/v1/fine_tuning/jobs"), 2);

    // Refused again after the refresh: no third try, and a line naming the credential and the fix.
    emulator.fault(
        json!({"method": "GET", "path": "/openai/v1/fine_tuning/jobs", "fault": 401, "times": 2}),
    );
    let out = signed_in(&emulator, Kind::ClientSecret, &["job", "list"])
        .input(json!({}))
        .run();
    out.error();
    assert_eq!(emulator.count("GET /openai/v1/fine_tuning/jobs"), 4);
    assert!(
        out.stderr.contains(
            "openai-ft: Azure refused the token of a client secret (client id app-secret) for \
             https://cognitiveservices.azure.com: give the identity Cognitive Services OpenAI \
             Contributor on the Azure OpenAI resource"
        ),
        "{}",
        out.stderr
    );
    assert_no_secrets(&out.stderr);
}

#[test]
fn a_credential_that_does_not_sign_in_says_which_and_how_to_fix_it() {
    let emulator = resource(3600, 5);
    let out = signed_in(&emulator, Kind::ClientSecret, &["job", "list"])
        .env("AZURE_CLIENT_SECRET", "wrong-secret-value-0123")
        .input(json!({}))
        .run();
    let line = out.error();
    assert!(
        line.starts_with(&format!(
            "signing in to Azure with a client secret (client id app-secret) failed: {}/{DEFAULT_TENANT}/oauth2/v2.0/token answered 401 AADSTS7000215: Invalid client secret provided.",
            emulator.running.base()
        )),
        "{line}"
    );
    assert!(
        line.ends_with("; check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"),
        "{line}"
    );
    assert!(!out.stderr.contains("wrong-secret-value-0123"));

    // Nothing configured and nothing found: each probe's failure, then the other ways in.
    let out = openai_ft(&["job", "list"])
        .env("AZURE_OPENAI_ENDPOINT", &emulator.running.endpoint())
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
        .env("PATH", "/nonexistent")
        .input(json!({}))
        .run();
    let line = out.error();
    assert!(line.starts_with("no Azure credential worked: signing in to Azure with a managed identity (IMDS) failed: "), "{line}");
    assert!(line.contains("signing in to Azure with the Azure CLI's signed-in account failed: `az` was not found on PATH; run `az login`, or install the Azure CLI"), "{line}");
}

#[test]
fn deployments_sign_in_to_resource_manager_with_the_same_credential() {
    // This Resource Manager has no hand-set token: it takes only what Entra issued for its own
    // audience (a token for the data plane is refused), so a deployment made proves the audience.
    let emulator = resource(3600, 5);
    let spec = json!({"subscription_id": "00000000-1111-2222-3333-444444444444",
                      "resource_group": "rg", "account": "res", "name": "served",
                      "model": "gpt-4o-mini-2024-07-18", "sku": "GlobalStandard",
                      "capacity": "1", "poll_interval": "0.05"});
    for kind in [Kind::ClientSecret, Kind::AppService] {
        let out = signed_in(&emulator, kind, &["deployment", "ensure"])
            .env(
                "AZURE_RESOURCE_MANAGER_ENDPOINT",
                &emulator.running.endpoint(),
            )
            .input(spec.clone())
            .run();
        assert_eq!(
            out.json()["provisioning_state"],
            "Succeeded",
            "{kind:?}: {}",
            out.stderr
        );
        assert_no_secrets(&out.stdout);
        assert_no_secrets(&out.stderr);
    }
    // Without a sign-in or a token, the refusal names both ways.
    let line = openai_ft(&["deployment", "read"])
        .env("AZURE_OPENAI_ENDPOINT", &emulator.running.endpoint())
        .env("AZURE_OPENAI_API_KEY", "k")
        .env(
            "AZURE_RESOURCE_MANAGER_ENDPOINT",
            &emulator.running.endpoint(),
        )
        .input(spec)
        .run()
        .only_error();
    assert!(line.contains("sign in to Azure"), "{line}");
}
