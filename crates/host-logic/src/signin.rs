//! Signing in to Azure with Microsoft Entra ID, decided once for every host: which credential
//! kinds to try and in which order (`DefaultAzureCredential`'s, without interactive sign-in),
//! where each may send a request, the audience of each token, when a cached token is refreshed,
//! and what every failure says. The host does the requests (it holds the secrets) and keeps the
//! tokens in memory; this logic sees only masked values.
//!
//! The order: a client secret (`AZURE_CLIENT_SECRET`), workload identity
//! (`AZURE_FEDERATED_TOKEN_FILE`, or GitHub Actions' own OIDC token request), an App Service /
//! Container Apps managed identity (`IDENTITY_ENDPOINT`), then the key or token set by hand
//! (`AZURE_OPENAI_AD_TOKEN`, `AZURE_OPENAI_API_KEY`, as before); with none of these, IMDS' managed
//! identity and the Azure CLI are tried in turn. Those two are found only by trying, which costs
//! every process a probe, so a key or token set by hand is used without them.
//! `OPENAI_FT_AZURE_CREDENTIAL` pins one kind.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::config::is_loopback;
use crate::quote;

/// The variable that pins one credential kind.
pub const PIN: &str = "OPENAI_FT_AZURE_CREDENTIAL";
/// Entra's public cloud: `AZURE_AUTHORITY_HOST`'s default.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// IMDS, where Azure VMs (and AKS nodes, Arc aside) serve managed-identity tokens; the Azure
/// SDKs' `AZURE_POD_IDENTITY_AUTHORITY_HOST` replaces it.
pub const DEFAULT_IMDS: &str = "http://169.254.169.254";
/// The audience a federated assertion is requested for.
pub const EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The name a credential header's `variable` takes when its value is the data plane's Entra
/// token (see [`crate::request::prepare`]).
pub const TOKEN_VARIABLE: &str = "(Entra ID token)";

/// Whom a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    /// Azure OpenAI's data plane (fine-tuning, files, models).
    CognitiveServices,
    /// Azure Resource Manager (deployments).
    Management,
}

impl Audience {
    /// The resource, as IMDS, App Service and the Azure CLI take it.
    pub fn resource(self) -> &'static str {
        match self {
            Audience::CognitiveServices => "https://cognitiveservices.azure.com",
            Audience::Management => "https://management.azure.com",
        }
    }

    /// The OAuth2 scope, as Entra's v2 token endpoint takes it.
    pub fn scope(self) -> String {
        format!("{}/.default", self.resource())
    }

    /// The Azure role the identity needs for what this audience serves.
    pub fn role(self) -> &'static str {
        match self {
            Audience::CognitiveServices => {
                "Cognitive Services OpenAI Contributor on the Azure OpenAI resource"
            }
            Audience::Management => {
                "Cognitive Services Contributor on the resource (or its resource group)"
            }
        }
    }
}

/// One credential kind, by the name [`PIN`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ClientSecret,
    WorkloadIdentity,
    GithubOidc,
    ManagedIdentity,
    AzureCli,
    AdToken,
    ApiKey,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::ClientSecret,
        Kind::WorkloadIdentity,
        Kind::GithubOidc,
        Kind::ManagedIdentity,
        Kind::AzureCli,
        Kind::AdToken,
        Kind::ApiKey,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::ClientSecret => "client-secret",
            Kind::WorkloadIdentity => "workload-identity",
            Kind::GithubOidc => "github-oidc",
            Kind::ManagedIdentity => "managed-identity",
            Kind::AzureCli => "azure-cli",
            Kind::AdToken => "ad-token",
            Kind::ApiKey => "api-key",
        }
    }
}

/// Where a federated assertion comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assertion {
    /// Read fresh from this file for every token (AKS rotates it).
    File(String),
    /// GitHub Actions' OIDC token request: `GET {url}&audience=api://AzureADTokenExchange` with
    /// `authorization: Bearer` the value of `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    Github { url: String },
}

/// One way to get a token, with every place it may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Client credentials with `AZURE_CLIENT_SECRET`, at `token_url`.
    ClientSecret {
        token_url: String,
        client_id: String,
    },
    /// Client credentials with a federated assertion, at `token_url`.
    Federated {
        token_url: String,
        client_id: String,
        assertion: Assertion,
    },
    /// A managed identity's endpoint: `GET {url}&resource=...` (plus `client_id` for a
    /// user-assigned one), with `header` completed by the secret variable it names (App
    /// Service's `X-IDENTITY-HEADER`), or `Metadata: true` (IMDS).
    ManagedIdentity {
        url: String,
        header: (String, String),
        client_id: Option<String>,
    },
    /// `az account get-access-token --output json --resource ...`.
    AzureCli,
}

impl Source {
    pub fn kind(&self) -> Kind {
        match self {
            Source::ClientSecret { .. } => Kind::ClientSecret,
            Source::Federated {
                assertion: Assertion::File(_),
                ..
            } => Kind::WorkloadIdentity,
            Source::Federated { .. } => Kind::GithubOidc,
            Source::ManagedIdentity { .. } => Kind::ManagedIdentity,
            Source::AzureCli => Kind::AzureCli,
        }
    }

    /// What stderr says once this source gave a token (never the token).
    pub fn describe(&self) -> String {
        let client = |id: &str| format!(" (client id {id})");
        match self {
            Source::ClientSecret { client_id, .. } => {
                format!("a client secret{}", client(client_id))
            }
            Source::Federated {
                client_id,
                assertion: Assertion::File(_),
                ..
            } => format!("workload identity{}", client(client_id)),
            Source::Federated { client_id, .. } => {
                format!("GitHub Actions' OIDC token{}", client(client_id))
            }
            Source::ManagedIdentity {
                client_id, header, ..
            } => format!(
                "a managed identity ({}{})",
                if header.0 == "metadata" {
                    "IMDS"
                } else {
                    "IDENTITY_ENDPOINT"
                },
                client_id.as_deref().map(client).unwrap_or_default()
            ),
            Source::AzureCli => "the Azure CLI's signed-in account".to_owned(),
        }
    }
}

/// The credentials to try in order; the first that gives a token is used for the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub sources: Vec<Source>,
}

/// Decides the chain from the environment (`var` gives trimmed, non-empty values; secrets
/// masked). `None`: no Entra sign-in, the key or hand-set token is used as before (or its
/// missing message). `key` and `token` say whether `AZURE_OPENAI_API_KEY` and
/// `AZURE_OPENAI_AD_TOKEN` are set.
pub fn choose<'a>(
    var: &impl Fn(&str) -> Option<&'a str>,
    key: bool,
    token: bool,
) -> Result<Option<Chain>, String> {
    let pinned = match var(PIN) {
        None => None,
        Some(name) => Some(
            Kind::ALL
                .into_iter()
                .find(|k| k.name() == name)
                .ok_or_else(|| {
                    format!(
                        "invalid {PIN} {}: must be one of {}",
                        quote(name),
                        Kind::ALL.map(Kind::name).join(", ")
                    )
                })?,
        ),
    };
    let tenant_and_client = |kind: Kind, cause: &str| -> Result<(String, String), String> {
        let need = |name: &str| {
            var(name).map(str::to_owned).ok_or_else(|| {
                format!(
                    "{name} is not set: signing in to Azure with {} ({cause}) needs the \
                     application's tenant in AZURE_TENANT_ID and its client id in AZURE_CLIENT_ID",
                    kind.name()
                )
            })
        };
        Ok((need("AZURE_TENANT_ID")?, need("AZURE_CLIENT_ID")?))
    };
    let token_url = |tenant: &str| -> Result<String, String> {
        let authority = var("AZURE_AUTHORITY_HOST").unwrap_or(DEFAULT_AUTHORITY);
        Ok(format!(
            "{}/{tenant}/oauth2/v2.0/token",
            reachable("AZURE_AUTHORITY_HOST", authority, false)?
        ))
    };
    let client_secret = || -> Result<Source, String> {
        let (tenant, client_id) = tenant_and_client(Kind::ClientSecret, "AZURE_CLIENT_SECRET")?;
        Ok(Source::ClientSecret {
            token_url: token_url(&tenant)?,
            client_id,
        })
    };
    let federated = |kind: Kind, assertion: Assertion, cause: &str| -> Result<Source, String> {
        let (tenant, client_id) = tenant_and_client(kind, cause)?;
        Ok(Source::Federated {
            token_url: token_url(&tenant)?,
            client_id,
            assertion,
        })
    };
    let workload = |file: &str| {
        federated(
            Kind::WorkloadIdentity,
            Assertion::File(file.to_owned()),
            "AZURE_FEDERATED_TOKEN_FILE",
        )
    };
    let github = |url: &str| -> Result<Source, String> {
        let url = reachable("ACTIONS_ID_TOKEN_REQUEST_URL", url, false)?;
        federated(
            Kind::GithubOidc,
            Assertion::Github { url },
            "ACTIONS_ID_TOKEN_REQUEST_URL",
        )
    };
    let client_id = var("AZURE_CLIENT_ID").map(str::to_owned);
    let app_service = |endpoint: &str| -> Result<Source, String> {
        let url = reachable("IDENTITY_ENDPOINT", endpoint, false)?;
        let url = format!("{url}?api-version=2019-08-01");
        Ok(Source::ManagedIdentity {
            header: identity_header(&url),
            url,
            client_id: client_id.clone(),
        })
    };
    let imds = || -> Result<Source, String> {
        let host = var("AZURE_POD_IDENTITY_AUTHORITY_HOST").unwrap_or(DEFAULT_IMDS);
        let host = reachable("AZURE_POD_IDENTITY_AUTHORITY_HOST", host, true)?;
        let url = format!("{host}{IMDS_PATH}?api-version=2018-02-01");
        Ok(Source::ManagedIdentity {
            header: identity_header(&url),
            url,
            client_id: client_id.clone(),
        })
    };
    let github_vars = || {
        var("ACTIONS_ID_TOKEN_REQUEST_URL")
            .filter(|_| var("ACTIONS_ID_TOKEN_REQUEST_TOKEN").is_some())
    };
    let identity_endpoint =
        || var("IDENTITY_ENDPOINT").filter(|_| var("IDENTITY_HEADER").is_some());
    let one = |s: Source| Ok(Some(Chain { sources: vec![s] }));
    let unset = |kind: Kind, what: &str| {
        Err(format!(
            "{PIN} is {} but {what} is not set; set it, or pick another kind (docs/azure.md, \
             \"Sign in to Azure\")",
            kind.name()
        ))
    };
    match pinned {
        Some(Kind::ApiKey | Kind::AdToken) => Ok(None),
        Some(Kind::ClientSecret) if var("AZURE_CLIENT_SECRET").is_some() => one(client_secret()?),
        Some(Kind::ClientSecret) => unset(Kind::ClientSecret, "AZURE_CLIENT_SECRET"),
        Some(Kind::WorkloadIdentity) => match var("AZURE_FEDERATED_TOKEN_FILE") {
            Some(file) => one(workload(file)?),
            None => unset(Kind::WorkloadIdentity, "AZURE_FEDERATED_TOKEN_FILE"),
        },
        Some(Kind::GithubOidc) => match github_vars() {
            Some(url) => one(github(url)?),
            None => unset(
                Kind::GithubOidc,
                "ACTIONS_ID_TOKEN_REQUEST_URL (with ACTIONS_ID_TOKEN_REQUEST_TOKEN: give the job \
                 `permissions: id-token: write`)",
            ),
        },
        Some(Kind::ManagedIdentity) => match identity_endpoint() {
            Some(endpoint) => one(app_service(endpoint)?),
            None => one(imds()?),
        },
        Some(Kind::AzureCli) => one(Source::AzureCli),
        None if var("AZURE_CLIENT_SECRET").is_some() => one(client_secret()?),
        None => {
            if let Some(file) = var("AZURE_FEDERATED_TOKEN_FILE") {
                return one(workload(file)?);
            }
            if let Some(url) = github_vars().filter(|_| var("AZURE_CLIENT_ID").is_some()) {
                return one(github(url)?);
            }
            if let Some(endpoint) = identity_endpoint() {
                return one(app_service(endpoint)?);
            }
            if key || token {
                return Ok(None);
            }
            Ok(Some(Chain {
                sources: vec![imds()?, Source::AzureCli],
            }))
        }
    }
}

/// `url` checked as a place a credential may be sent: https, or plain http to a loopback address
/// (tests, App Service's local identity endpoint) or, where `link_local` allows, IMDS'
/// `169.254.169.254`. Returned without a trailing slash.
fn reachable(name: &str, url: &str, link_local: bool) -> Result<String, String> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let ok = !authority.is_empty()
        && !authority.contains('@')
        && match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => {
                is_loopback(authority)
                    || (link_local && crate::config::host_of(authority) == "169.254.169.254")
            }
            _ => false,
        };
    if ok {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "invalid {name} {}: must be an https URL (plain http only to a loopback address{})",
            quote(&crate::config::shown(url)),
            if link_local {
                " or 169.254.169.254"
            } else {
                ""
            }
        ))
    }
}

/// IMDS' token path, under `AZURE_POD_IDENTITY_AUTHORITY_HOST`.
const IMDS_PATH: &str = "/metadata/identity/oauth2/token";

/// The header a managed-identity endpoint at `url` takes: IMDS' `metadata: true`, or App
/// Service's `x-identity-header`, completed with the secret `IDENTITY_HEADER`.
pub fn identity_header(url: &str) -> (String, String) {
    if url.contains(IMDS_PATH) {
        ("metadata".into(), "true".into())
    } else {
        ("x-identity-header".into(), "IDENTITY_HEADER".into())
    }
}

/// GitHub's OIDC token request for a federated assertion: `url` (`ACTIONS_ID_TOKEN_REQUEST_URL`)
/// with the token-exchange audience added to its query.
pub fn github_request(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}audience=api%3A%2F%2FAzureADTokenExchange")
}

/// The line once a source gave the process's first token (never the token).
pub fn signed_in(source: &Source) -> String {
    format!("signed in to Azure with {}", source.describe())
}

/// Whether a token obtained at `obtained` (Unix seconds) and expiring at `expires` is due for a
/// refresh at `now`: five minutes before it expires, or half-way through a shorter life.
pub fn refresh_due(obtained: u64, expires: u64, now: u64) -> bool {
    let margin = ((expires.saturating_sub(obtained)) / 2).min(300);
    now + margin >= expires
}

/// The one line for a source that gave no token: its kind, the cause (already redacted by the
/// host) and the fix.
pub fn failed(source: &Source, cause: &str) -> String {
    let fix = match source.kind() {
        Kind::ClientSecret => "check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
        Kind::WorkloadIdentity => {
            "check AZURE_TENANT_ID, AZURE_CLIENT_ID, and that the application has a federated \
             credential for the token in AZURE_FEDERATED_TOKEN_FILE"
        }
        Kind::GithubOidc => {
            "check AZURE_TENANT_ID, AZURE_CLIENT_ID, and that the application has a federated \
             credential for this repository and branch or environment"
        }
        Kind::ManagedIdentity => {
            "run on an Azure host with a managed identity (set AZURE_CLIENT_ID for a user-assigned \
             one)"
        }
        Kind::AzureCli => "run `az login`, or install the Azure CLI",
        Kind::AdToken | Kind::ApiKey => "",
    };
    format!(
        "signing in to Azure with {} failed: {cause}; {fix}",
        source.describe()
    )
}

/// The line when every source of a chain failed: each one's failure, then the other ways in.
pub fn none_worked(failures: &[String]) -> String {
    format!(
        "no Azure credential worked: {}; or set AZURE_OPENAI_API_KEY (docs/azure.md, \"Sign in to \
         Azure\")",
        failures.join("; ")
    )
}

/// What the host says when the resource refused a token even after one refresh.
pub fn refused(source: &Source, audience: Audience) -> String {
    format!(
        "Azure refused the token of {} for {}: give the identity {} (a new role takes a few \
         minutes), and check that the endpoint is the resource you meant",
        source.describe(),
        audience.resource(),
        audience.role()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn chain(pairs: &[(&str, &str)], key: bool, token: bool) -> Result<Option<Chain>, String> {
        let var = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        choose(&var, key, token)
    }

    const APP: [(&str, &str); 2] = [("AZURE_TENANT_ID", "t1"), ("AZURE_CLIENT_ID", "c1")];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v = APP.to_vec();
        v.extend_from_slice(extra);
        v
    }

    fn kinds(c: Result<Option<Chain>, String>) -> Vec<Kind> {
        c.unwrap()
            .map(|c| c.sources.iter().map(Source::kind).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_chain_follows_default_azure_credential_then_the_hand_set_credentials() {
        let secret = with(&[
            ("AZURE_CLIENT_SECRET", "***"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/f"),
        ]);
        assert_eq!(kinds(chain(&secret, true, true)), [Kind::ClientSecret]);
        assert_eq!(
            chain(&secret, false, false).unwrap().unwrap().sources[0],
            Source::ClientSecret {
                token_url: "https://login.microsoftonline.com/t1/oauth2/v2.0/token".into(),
                client_id: "c1".into()
            }
        );
        let workload = with(&[
            ("AZURE_FEDERATED_TOKEN_FILE", "/f"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh/x?a=1"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "***"),
        ]);
        assert_eq!(
            kinds(chain(&workload, true, false)),
            [Kind::WorkloadIdentity]
        );
        let github = &workload[..2]
            .iter()
            .chain(&workload[3..])
            .copied()
            .collect::<Vec<_>>();
        assert_eq!(kinds(chain(github, true, false)), [Kind::GithubOidc]);
        // Without an application, GitHub's token request is not an Azure sign-in.
        assert_eq!(kinds(chain(&github[2..], true, false)), []);
        let app_service = [
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:41741/msi/token"),
            ("IDENTITY_HEADER", "***"),
        ];
        assert_eq!(
            kinds(chain(&app_service, true, false)),
            [Kind::ManagedIdentity]
        );
        // A key or token set by hand comes next, with no probe.
        assert_eq!(chain(&[], true, false), Ok(None));
        assert_eq!(chain(&[], false, true), Ok(None));
        assert_eq!(
            kinds(chain(&[], false, false)),
            [Kind::ManagedIdentity, Kind::AzureCli]
        );
    }

    #[test]
    fn one_variable_pins_a_kind() {
        let pin = |kind: &'static str, rest: &[(&'static str, &'static str)]| {
            let mut v = with(rest);
            v.push((PIN, kind));
            chain(&v, true, true)
        };
        assert_eq!(
            kinds(pin("azure-cli", &[("AZURE_CLIENT_SECRET", "***")])),
            [Kind::AzureCli]
        );
        assert_eq!(pin("api-key", &[("AZURE_CLIENT_SECRET", "***")]), Ok(None));
        assert_eq!(kinds(pin("managed-identity", &[])), [Kind::ManagedIdentity]);
        assert_eq!(
            pin("workload-identity", &[]).unwrap_err(),
            "OPENAI_FT_AZURE_CREDENTIAL is workload-identity but AZURE_FEDERATED_TOKEN_FILE is \
             not set; set it, or pick another kind (docs/azure.md, \"Sign in to Azure\")"
        );
        assert_eq!(
            pin("browser", &[]).unwrap_err(),
            "invalid OPENAI_FT_AZURE_CREDENTIAL \"browser\": must be one of client-secret, \
             workload-identity, github-oidc, managed-identity, azure-cli, ad-token, api-key"
        );
    }

    #[test]
    fn credentials_go_only_to_https_or_loopback_and_name_what_is_missing() {
        assert_eq!(
            chain(
                &[("AZURE_CLIENT_SECRET", "***"), ("AZURE_CLIENT_ID", "c")],
                true,
                false
            )
            .unwrap_err(),
            "AZURE_TENANT_ID is not set: signing in to Azure with client-secret \
             (AZURE_CLIENT_SECRET) needs the application's tenant in AZURE_TENANT_ID and its \
             client id in AZURE_CLIENT_ID"
        );
        let authority = |host: &'static str| {
            chain(
                &with(&[
                    ("AZURE_CLIENT_SECRET", "***"),
                    ("AZURE_AUTHORITY_HOST", host),
                ]),
                false,
                false,
            )
        };
        assert!(authority("http://127.0.0.1:9").is_ok());
        assert!(authority("https://login.microsoftonline.us/").is_ok());
        assert_eq!(
            authority("http://login.example.com").unwrap_err(),
            "invalid AZURE_AUTHORITY_HOST \"http://login.example.com\": must be an https URL \
             (plain http only to a loopback address)"
        );
        let imds = |host: &'static str| {
            chain(&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", host)], false, false)
        };
        assert!(imds("http://169.254.169.254").is_ok());
        assert!(imds("http://10.0.0.1").is_err());
    }

    #[test]
    fn refresh_comes_five_minutes_early_or_half_way_through_a_short_life() {
        assert!(!refresh_due(0, 3600, 3299));
        assert!(refresh_due(0, 3600, 3300));
        assert!(!refresh_due(100, 104, 101));
        assert!(refresh_due(100, 104, 102));
        assert!(refresh_due(100, 100, 100));
    }

    #[test]
    fn messages_name_the_credential_and_the_fix() {
        let s = Source::AzureCli;
        assert_eq!(
            failed(&s, "`az` was not found"),
            "signing in to Azure with the Azure CLI's signed-in account failed: `az` was not \
             found; run `az login`, or install the Azure CLI"
        );
        assert_eq!(
            refused(&s, Audience::CognitiveServices),
            "Azure refused the token of the Azure CLI's signed-in account for \
             https://cognitiveservices.azure.com: give the identity Cognitive Services OpenAI \
             Contributor on the Azure OpenAI resource (a new role takes a few minutes), and check \
             that the endpoint is the resource you meant"
        );
        assert_eq!(
            Audience::Management.scope(),
            "https://management.azure.com/.default".to_string()
        );
    }
}
