//! Where requests go and which keys they carry, read once from the environment. The guest never
//! sees any of this: it names a path and a credential, and the host adds the rest.

use std::fmt;
use std::time::Duration;

use anyhow::{Result, bail};

/// The default API base.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// A key, kept out of `Debug` output and error messages.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Which dialect of the fine-tuning API the host speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// api.openai.com, or any OpenAI-compatible base URL with a bearer key.
    OpenAi,
    /// Azure OpenAI's v1 surface: `{endpoint}/openai/v1`, `api-key` or Entra ID bearer token.
    Azure,
    /// Azure OpenAI's dated API: `{endpoint}/openai?api-version=...`.
    AzureClassic,
}

impl Flavor {
    pub fn name(self) -> &'static str {
        match self {
            Flavor::OpenAi => "openai",
            Flavor::Azure => "azure",
            Flavor::AzureClassic => "azure-classic",
        }
    }
}

/// How the project credential is sent.
#[derive(Debug, Clone)]
pub enum ProjectAuth {
    /// `Authorization: Bearer <key or token>`.
    Bearer(Secret),
    /// Azure's `api-key: <key>`.
    ApiKey(Secret),
}

/// The host's network configuration.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `OPENAI_FT_FLAVOR` (default `azure` when `AZURE_OPENAI_ENDPOINT` is set, else `openai`).
    pub flavor: Flavor,
    /// The API base without a trailing slash: `OPENAI_BASE_URL` (default
    /// [`DEFAULT_BASE_URL`]) for `openai`, derived from `AZURE_OPENAI_ENDPOINT` for Azure. Must
    /// be https, except for loopback addresses.
    pub base: String,
    /// `OPENAI_API_KEY` (openai), `AZURE_OPENAI_API_KEY` or `AZURE_OPENAI_AD_TOKEN` (Azure):
    /// jobs, files, models.
    pub project: Option<ProjectAuth>,
    /// `OPENAI_ADMIN_KEY`: checkpoint permissions (openai only). Never used in place of the
    /// project key, nor the other way round.
    pub admin_key: Option<Secret>,
    /// `OPENAI_ORG_ID`, sent as `OpenAI-Organization`.
    pub organization: Option<String>,
    /// `OPENAI_PROJECT_ID`, sent as `OpenAI-Project`.
    pub project_id: Option<String>,
    /// `OPENAI_API_VERSION`, sent as `api-version` on every azure-classic request.
    pub api_version: Option<String>,
    /// `OPENAI_FT_CONNECT_TIMEOUT` seconds (default 10).
    pub connect_timeout: Duration,
    /// `OPENAI_FT_TIMEOUT` seconds (default 120): the longest wait for an answer.
    pub timeout: Duration,
}

impl Endpoint {
    /// Reads the configuration through `var` (the process environment, or a map in tests).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let non_empty = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let secret = |name: &str| non_empty(name).map(Secret);
        let azure_endpoint = non_empty("AZURE_OPENAI_ENDPOINT");
        let flavor = match non_empty("OPENAI_FT_FLAVOR").as_deref() {
            Some("openai") => Flavor::OpenAi,
            Some("azure") => Flavor::Azure,
            Some("azure-classic") => Flavor::AzureClassic,
            Some(other) => bail!(
                "invalid OPENAI_FT_FLAVOR {other:?}: must be openai, azure or azure-classic (unset, it is azure when AZURE_OPENAI_ENDPOINT is set)"
            ),
            None if azure_endpoint.is_some() => Flavor::Azure,
            None => Flavor::OpenAi,
        };
        let (base, project, api_version) = match flavor {
            Flavor::OpenAi => {
                let base =
                    non_empty("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
                (
                    check_base_url("OPENAI_BASE_URL", &base)?,
                    secret("OPENAI_API_KEY").map(ProjectAuth::Bearer),
                    None,
                )
            }
            Flavor::Azure | Flavor::AzureClassic => {
                let Some(endpoint) = azure_endpoint else {
                    bail!(
                        "AZURE_OPENAI_ENDPOINT is not set: the {} flavour needs the resource endpoint, for example https://my-resource.openai.azure.com",
                        flavor.name()
                    );
                };
                let root = check_base_url("AZURE_OPENAI_ENDPOINT", &endpoint)?;
                let project = secret("AZURE_OPENAI_API_KEY")
                    .map(ProjectAuth::ApiKey)
                    .or_else(|| secret("AZURE_OPENAI_AD_TOKEN").map(ProjectAuth::Bearer));
                if flavor == Flavor::Azure {
                    (format!("{root}/openai/v1"), project, None)
                } else {
                    let Some(version) = non_empty("OPENAI_API_VERSION") else {
                        bail!(
                            "OPENAI_API_VERSION is not set: the azure-classic flavour sends it on every request; set it, for example to 2025-04-01-preview, or use OPENAI_FT_FLAVOR=azure (no version needed)"
                        );
                    };
                    (format!("{root}/openai"), project, Some(version))
                }
            }
        };
        Ok(Self {
            flavor,
            base,
            project,
            admin_key: secret("OPENAI_ADMIN_KEY"),
            organization: non_empty("OPENAI_ORG_ID"),
            project_id: non_empty("OPENAI_PROJECT_ID"),
            api_version,
            connect_timeout: seconds(&var, "OPENAI_FT_CONNECT_TIMEOUT", 10)?,
            timeout: seconds(&var, "OPENAI_FT_TIMEOUT", 120)?,
        })
    }

    /// The header that carries the project credential, or the message naming what to set.
    pub fn project_header(&self) -> Result<(&'static str, String), String> {
        match (&self.project, self.flavor) {
            (Some(ProjectAuth::Bearer(s)), _) => {
                Ok(("authorization", format!("Bearer {}", s.expose())))
            }
            (Some(ProjectAuth::ApiKey(s)), _) => Ok(("api-key", s.expose().to_owned())),
            (None, Flavor::OpenAi) => Err(
                "OPENAI_API_KEY is not set: export a project API key for the fine-tuning \
                 API in the environment that runs Terraform"
                    .into(),
            ),
            (None, _) => Err(
                "AZURE_OPENAI_API_KEY is not set: export the Azure OpenAI resource key, or an \
                 Entra ID token in AZURE_OPENAI_AD_TOKEN, in the environment that runs Terraform"
                    .into(),
            ),
        }
    }

    /// The header that carries the admin key, or why there is none.
    pub fn admin_header(&self) -> Result<(&'static str, String), String> {
        if self.flavor != Flavor::OpenAi {
            return Err(format!(
                "checkpoint permissions do not exist on Azure OpenAI (flavour {}); grant access with Azure role assignments, or deploy the model into the other resource",
                self.flavor.name()
            ));
        }
        match &self.admin_key {
            Some(s) => Ok(("authorization", format!("Bearer {}", s.expose()))),
            None => Err(
                "OPENAI_ADMIN_KEY is not set: checkpoint permissions need an organisation \
                 admin key with the api.fine_tuning.checkpoints.read and .write scopes; \
                 export it in the environment, never in Terraform code"
                    .into(),
            ),
        }
    }
}

fn seconds(var: &impl Fn(&str) -> Option<String>, name: &str, default: u64) -> Result<Duration> {
    match var(name) {
        None => Ok(Duration::from_secs(default)),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=86_400).contains(&n) => Ok(Duration::from_secs(n)),
            _ => bail!("invalid {name} {v:?}: must be a whole number of seconds 1-86400"),
        },
    }
}

/// Accepts `https://host[:port][/path]`, or `http://` to a loopback address (the emulator, a
/// local gateway); returns it without a trailing slash.
fn check_base_url(name: &str, url: &str) -> Result<String> {
    let fix = "set it to the API base, for example https://api.openai.com/v1";
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => bail!("invalid {name} {url:?}: not an absolute URL; {fix}"),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || rest.contains(['?', '#']) {
        bail!("invalid {name} {url:?}: needs a host and no user, query or fragment; {fix}");
    }
    match scheme.as_str() {
        "https" => {}
        "http" if is_loopback(authority) => {}
        "http" => bail!(
            "invalid {name} {url:?}: must use https (plain http is allowed only for \
             loopback addresses such as http://127.0.0.1:8080/v1)"
        ),
        _ => bail!("invalid {name} {url:?}: the scheme must be https; {fix}"),
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Is the host part of `authority` (`host[:port]`) a loopback address?
fn is_loopback(authority: &str) -> bool {
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn base_url_rules() {
        assert_eq!(
            check_base_url("OPENAI_BASE_URL", "https://api.openai.com/v1/").unwrap(),
            "https://api.openai.com/v1"
        );
        assert!(check_base_url("OPENAI_BASE_URL", "http://127.0.0.1:9/v1").is_ok());
        assert!(check_base_url("OPENAI_BASE_URL", "http://[::1]:9/v1").is_ok());
        assert!(check_base_url("OPENAI_BASE_URL", "http://localhost/v1").is_ok());
        let e = check_base_url("OPENAI_BASE_URL", "http://example.com/v1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("must use https"), "{e}");
        assert!(check_base_url("OPENAI_BASE_URL", "http://127.0.0.1.example.com/v1").is_err());
        assert!(check_base_url("OPENAI_BASE_URL", "ftp://x/v1").is_err());
        assert!(check_base_url("OPENAI_BASE_URL", "https://user:pw@x/v1").is_err());
        assert!(check_base_url("OPENAI_BASE_URL", "api.openai.com").is_err());
    }

    #[test]
    fn keys_never_show_in_debug() {
        let e = Endpoint::from_env(env(&[("OPENAI_API_KEY", "sk-test-secret")])).unwrap();
        assert!(!format!("{e:?}").contains("sk-test-secret"));
        assert_eq!(e.base, DEFAULT_BASE_URL);
    }

    #[test]
    fn flavours_come_from_the_environment() {
        let e = Endpoint::from_env(env(&[
            ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com/"),
            ("AZURE_OPENAI_API_KEY", "azkey"),
        ]))
        .unwrap();
        assert_eq!(e.flavor, Flavor::Azure);
        assert_eq!(e.base, "https://res.openai.azure.com/openai/v1");
        assert_eq!(e.project_header().unwrap(), ("api-key", "azkey".to_owned()));
        assert!(
            e.admin_header()
                .unwrap_err()
                .starts_with("checkpoint permissions do not exist on Azure OpenAI")
        );

        let e = Endpoint::from_env(env(&[
            ("OPENAI_FT_FLAVOR", "azure-classic"),
            ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"),
            ("AZURE_OPENAI_AD_TOKEN", "jwt"),
            ("OPENAI_API_VERSION", "2025-04-01-preview"),
        ]))
        .unwrap();
        assert_eq!(e.base, "https://res.openai.azure.com/openai");
        assert_eq!(e.api_version.as_deref(), Some("2025-04-01-preview"));
        assert_eq!(
            e.project_header().unwrap(),
            ("authorization", "Bearer jwt".to_owned())
        );

        let err = Endpoint::from_env(env(&[
            ("OPENAI_FT_FLAVOR", "azure-classic"),
            ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().starts_with("OPENAI_API_VERSION is not set"),
            "{err}"
        );
        let err = Endpoint::from_env(env(&[("OPENAI_FT_FLAVOR", "azure")])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AZURE_OPENAI_ENDPOINT is not set"),
            "{err}"
        );
        let err = Endpoint::from_env(env(&[("OPENAI_FT_FLAVOR", "bedrock")])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"invalid OPENAI_FT_FLAVOR "bedrock""#),
            "{err}"
        );
        let e = Endpoint::from_env(env(&[(
            "OPENAI_BASE_URL",
            "https://gateway.example.com/v1",
        )]))
        .unwrap();
        assert_eq!(e.flavor, Flavor::OpenAi);
        assert!(
            e.project_header()
                .unwrap_err()
                .starts_with("OPENAI_API_KEY is not set")
        );
    }

    #[test]
    fn timeouts_are_checked() {
        let e = Endpoint::from_env(env(&[("OPENAI_FT_TIMEOUT", "0")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid OPENAI_FT_TIMEOUT "0": must be a whole number of seconds 1-86400"#
        );
    }
}
