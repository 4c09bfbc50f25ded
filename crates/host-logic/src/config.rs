//! The configuration, decided from the environment the host read: the API dialect, the base URL,
//! which credential each request carries and what to say when one is missing, the timeouts and
//! the guest's limits. The host hands over the variables [`VARIABLES`] names, each secret one
//! masked ([`mask`]), so this logic learns whether a key is set, never what it is; the host then
//! fills in the credential header itself ([`SecretHeader`]). A new credential kind is one more
//! [`Credential`] case decided here, with its messages.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::quote;

/// The default API base.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Azure Resource Manager's endpoint in Azure's public cloud, `AZURE_RESOURCE_MANAGER_ENDPOINT`'s
/// default.
pub const DEFAULT_MANAGEMENT_URL: &str = "https://management.azure.com";
/// `OPENAI_FT_TIMEOUT`'s default, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u32 = 120;
/// `OPENAI_FT_CONNECT_TIMEOUT`'s default, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 10;
/// `OPENAI_FT_MEMORY_LIMIT_MIB`'s default; at most 4 GiB, all a 32-bit guest can address.
pub const DEFAULT_MEMORY_MIB: u32 = 256;
const MAX_MEMORY_MIB: u32 = 4096;
/// `OPENAI_FT_CPU_LIMIT_SECS`'s default; it and the timeouts are at most a day.
pub const DEFAULT_CPU_SECS: u32 = 300;
const MAX_SECS: u32 = 86_400;

/// A variable the host reads for [`configure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    /// A key or token: the host passes it masked, and keeps its value to itself.
    pub secret: bool,
}

const fn var(name: &'static str, secret: bool) -> Variable {
    Variable { name, secret }
}

/// Every variable [`configure`] reads.
pub const VARIABLES: &[Variable] = &[
    var("OPENAI_FT_FLAVOR", false),
    var("OPENAI_BASE_URL", false),
    var("AZURE_OPENAI_ENDPOINT", false),
    var("OPENAI_API_VERSION", false),
    var("OPENAI_API_KEY", true),
    var("OPENAI_ADMIN_KEY", true),
    var("AZURE_OPENAI_API_KEY", true),
    var("AZURE_OPENAI_AD_TOKEN", true),
    var("OPENAI_FT_AZURE_CREDENTIAL", false),
    var("AZURE_TENANT_ID", false),
    var("AZURE_CLIENT_ID", false),
    var("AZURE_CLIENT_SECRET", true),
    var("AZURE_FEDERATED_TOKEN_FILE", false),
    var("AZURE_AUTHORITY_HOST", false),
    var("AZURE_POD_IDENTITY_AUTHORITY_HOST", false),
    var("IDENTITY_ENDPOINT", false),
    var("IDENTITY_HEADER", true),
    var("ACTIONS_ID_TOKEN_REQUEST_URL", false),
    var("ACTIONS_ID_TOKEN_REQUEST_TOKEN", true),
    var("AZURE_RESOURCE_MANAGER_ENDPOINT", false),
    var("AZURE_MANAGEMENT_TOKEN", true),
    var("OPENAI_ORG_ID", false),
    var("OPENAI_PROJECT_ID", false),
    var("OPENAI_FT_TIMEOUT", false),
    var("OPENAI_FT_CONNECT_TIMEOUT", false),
    var("OPENAI_FT_MEMORY_LIMIT_MIB", false),
    var("OPENAI_FT_CPU_LIMIT_SECS", false),
];

/// The characters trimming removes: Unicode's White_Space, as `str::trim` reads it. A mask
/// keeps these and hides every other character.
pub const WHITE_SPACE: &str = "\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\
\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";

/// A secret's value as this logic may see it: every character that is not white space becomes
/// `*`, so trimming finds the same ends and nothing of the value is left.
pub fn mask(value: &str) -> String {
    value
        .chars()
        .map(|c| if WHITE_SPACE.contains(c) { c } else { '*' })
        .collect()
}

/// Which dialect of the fine-tuning API the host speaks (the WIT's `api-flavor`): `openai` is
/// api.openai.com or any OpenAI-compatible base URL with a bearer key; `azure` is Azure OpenAI's
/// v1 surface; `azure-classic` its dated API (`api-version` on every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    OpenAi,
    Azure,
    AzureClassic,
}

impl Flavor {
    const ALL: [Flavor; 3] = [Flavor::OpenAi, Flavor::Azure, Flavor::AzureClassic];

    /// The flavour's name in `OPENAI_FT_FLAVOR`, which is its WIT name.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::OpenAi => "openai",
            Flavor::Azure => "azure",
            Flavor::AzureClassic => "azure-classic",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A header whose value the host completes: `{name}: {prefix}{the trimmed value of variable}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHeader {
    pub name: String,
    pub prefix: String,
    pub variable: String,
}

/// How a request carries one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A header carrying a secret variable's value.
    Header(SecretHeader),
    /// None is configured, or none may be sent here: the message says what to do.
    Missing(String),
}

/// Where a set secret's value lies once trimmed, in Unicode scalar values: the host's secret is
/// its characters `skip..skip + keep`. Only secrets with something left after trimming are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSpan {
    pub variable: String,
    pub skip: u32,
    pub keep: u32,
}

/// Where requests go and what they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub flavor: Flavor,
    /// The API base without a trailing slash: `OPENAI_BASE_URL` (default [`DEFAULT_BASE_URL`])
    /// for `openai`, derived from `AZURE_OPENAI_ENDPOINT` for Azure. https, or http to loopback.
    pub base: String,
    /// Query pairs every request ends with: azure-classic's `api-version`.
    pub query: Vec<(String, String)>,
    /// Headers every request carries besides the credential.
    pub headers: Vec<(String, String)>,
    /// The project credential: jobs, files, models.
    pub project: Credential,
    /// The admin credential: checkpoint permissions (openai only). Never the project key, nor
    /// the other way round.
    pub admin: Credential,
    /// Azure Resource Manager's endpoint without a trailing slash:
    /// `AZURE_RESOURCE_MANAGER_ENDPOINT` (default [`DEFAULT_MANAGEMENT_URL`]), https or http to
    /// loopback. The only host besides the API base a request may reach.
    pub management_base: String,
    /// The Azure Resource Manager token (`AZURE_MANAGEMENT_TOKEN`), sent only to
    /// `management_base`; missing under the openai flavour.
    pub management: Credential,
    /// `OPENAI_FT_CONNECT_TIMEOUT` seconds.
    pub connect_timeout_secs: u32,
    /// `OPENAI_FT_TIMEOUT` seconds: the longest wait for a response's head, and for its body.
    pub timeout_secs: u32,
    /// Azure: the Entra ID credentials to sign in with, in order, when the project credential
    /// is a token the host gets itself ([`crate::signin`]). A host that does not sign in
    /// (`None` here) sends `project` as before.
    pub signin: Option<crate::signin::Chain>,
}

impl Endpoint {
    /// The `api-version` every `api` request ends with (azure-classic's), which a host answers
    /// `http.api-version` with.
    pub fn api_version(&self) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == "api-version")
            .map(|(_, v)| v.as_str())
    }

    /// The Azure resource (`AZURE_OPENAI_ENDPOINT` as checked: the base without its `/openai/v1`
    /// or `/openai`), under an Azure flavour.
    pub fn azure_resource(&self) -> Option<&str> {
        let suffix = match self.flavor {
            Flavor::OpenAi => return None,
            Flavor::Azure => "/openai/v1",
            Flavor::AzureClassic => "/openai",
        };
        self.base.strip_suffix(suffix)
    }
}

/// How far the guest may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `OPENAI_FT_MEMORY_LIMIT_MIB`: the guest's linear memory.
    pub memory_mib: u32,
    /// `OPENAI_FT_CPU_LIMIT_SECS`: CPU time of the guest's thread; waiting does not count.
    pub cpu_secs: u32,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub endpoint: Endpoint,
    pub limits: Limits,
}

/// What [`configure`] found: the secrets that are set (for the host's redactor, even when the
/// configuration is refused) and the configuration, or the refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configured {
    pub secrets: Vec<SecretSpan>,
    pub settings: Result<Settings, String>,
}

/// Decides the configuration from `env`: the set variables of [`VARIABLES`], secrets masked
/// (others are ignored). Refusals come in this order: flavour, base URL, credentials'
/// variables, the two timeouts, the memory limit, the CPU limit.
pub fn configure(env: &[(String, String)]) -> Configured {
    let var = |name: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let secrets = VARIABLES
        .iter()
        .filter(|v| v.secret)
        .filter_map(|v| {
            let value = var(v.name)?;
            let start = value.trim_start();
            let skip = value.chars().count() - start.chars().count();
            let keep = start.trim_end().chars().count();
            (keep > 0).then(|| SecretSpan {
                variable: v.name.to_owned(),
                skip: skip as u32,
                keep: keep as u32,
            })
        })
        .collect();
    Configured {
        secrets,
        settings: settings(&var),
    }
}

fn settings<'a>(var: &impl Fn(&str) -> Option<&'a str>) -> Result<Settings, String> {
    let non_empty = |name: &str| var(name).map(str::trim).filter(|v| !v.is_empty());
    let header = |name: &str, prefix: &str, variable: &str| {
        non_empty(variable).map(|_| {
            Credential::Header(SecretHeader {
                name: name.to_owned(),
                prefix: prefix.to_owned(),
                variable: variable.to_owned(),
            })
        })
    };
    let azure_endpoint = non_empty("AZURE_OPENAI_ENDPOINT");
    let flavor = match non_empty("OPENAI_FT_FLAVOR") {
        Some(name) => Flavor::parse(name).ok_or_else(|| {
            format!(
                "invalid OPENAI_FT_FLAVOR {}: must be openai, azure or azure-classic (unset, it is \
                 azure when AZURE_OPENAI_ENDPOINT is set)",
                quote(name)
            )
        })?,
        None if azure_endpoint.is_some() => Flavor::Azure,
        None => Flavor::OpenAi,
    };
    let mut signin = None;
    let (base, query, project) = match flavor {
        Flavor::OpenAi => {
            let base = non_empty("OPENAI_BASE_URL").unwrap_or(DEFAULT_BASE_URL);
            let project =
                header("authorization", "Bearer ", "OPENAI_API_KEY").unwrap_or_else(|| {
                    Credential::Missing(
                    "OPENAI_API_KEY is not set: export a project API key for the fine-tuning API \
                     in the environment that runs Terraform"
                        .into(),
                )
                });
            (check_base_url("OPENAI_BASE_URL", base)?, vec![], project)
        }
        Flavor::Azure | Flavor::AzureClassic => {
            let Some(endpoint) = azure_endpoint else {
                return Err(format!(
                    "AZURE_OPENAI_ENDPOINT is not set: the {} flavour needs the resource endpoint, \
                     for example https://my-resource.openai.azure.com",
                    flavor.name()
                ));
            };
            let root = check_base_url("AZURE_OPENAI_ENDPOINT", endpoint)?;
            let key = header("api-key", "", "AZURE_OPENAI_API_KEY");
            let token = header("authorization", "Bearer ", "AZURE_OPENAI_AD_TOKEN");
            signin = crate::signin::choose(&non_empty, key.is_some(), token.is_some())?;
            let pinned = non_empty(crate::signin::PIN);
            let project = match pinned {
                Some("ad-token") => token,
                Some("api-key") => key,
                _ => key.or(token),
            }
            .unwrap_or_else(|| {
                Credential::Missing(match pinned {
                    Some("ad-token") => "AZURE_OPENAI_AD_TOKEN is not set, and \
                        OPENAI_FT_AZURE_CREDENTIAL=ad-token asks for it: export an Entra ID token \
                        for https://cognitiveservices.azure.com, or unset \
                        OPENAI_FT_AZURE_CREDENTIAL"
                        .into(),
                    _ => "AZURE_OPENAI_API_KEY is not set: export the Azure OpenAI resource key, \
                        or an Entra ID token in AZURE_OPENAI_AD_TOKEN, or sign in to Azure \
                        (docs/azure.md, \"Sign in to Azure\"), in the environment that runs \
                        Terraform"
                        .into(),
                })
            });
            if flavor == Flavor::Azure {
                (format!("{root}/openai/v1"), vec![], project)
            } else {
                let Some(version) = non_empty("OPENAI_API_VERSION") else {
                    return Err(
                        "OPENAI_API_VERSION is not set: the azure-classic flavour sends it on every \
                         request; set it, for example to 2025-04-01-preview, or use \
                         OPENAI_FT_FLAVOR=azure (no version needed)"
                            .into(),
                    );
                };
                let query = vec![("api-version".to_owned(), version.to_owned())];
                (format!("{root}/openai"), query, project)
            }
        }
    };
    let admin = if flavor != Flavor::OpenAi {
        // The guest refuses checkpoint permissions on Azure first, in its own words; this stays
        // the host's boundary: whatever a component asks, the admin key never goes to Azure.
        Credential::Missing(format!(
            "checkpoint permissions do not exist on Azure OpenAI (flavour {}); grant access with \
             Azure role assignments, or deploy the model into the other resource",
            flavor.name()
        ))
    } else {
        header("authorization", "Bearer ", "OPENAI_ADMIN_KEY").unwrap_or_else(|| {
            Credential::Missing(
                "OPENAI_ADMIN_KEY is not set: checkpoint permissions need an organisation admin \
                 key with the api.fine_tuning.checkpoints.read and .write scopes; export it in the \
                 environment, never in Terraform code"
                    .into(),
            )
        })
    };
    let management_base = check_base_url(
        "AZURE_RESOURCE_MANAGER_ENDPOINT",
        non_empty("AZURE_RESOURCE_MANAGER_ENDPOINT").unwrap_or(DEFAULT_MANAGEMENT_URL),
    )?;
    let management = if flavor == Flavor::OpenAi {
        Credential::Missing(
            "Azure Resource Manager is not part of the openai flavour: deployments exist on Azure \
             OpenAI only; set AZURE_OPENAI_ENDPOINT (or OPENAI_FT_FLAVOR=azure)"
                .into(),
        )
    } else {
        header("authorization", "Bearer ", "AZURE_MANAGEMENT_TOKEN").unwrap_or_else(|| {
            Credential::Missing(
                "AZURE_MANAGEMENT_TOKEN is not set: deployments are managed through Azure \
                 Resource Manager, which takes only a Microsoft Entra ID token; sign in to Azure \
                 (docs/azure.md, \"Sign in to Azure\") or export a token for \
                 https://management.azure.com (az account get-access-token --resource \
                 https://management.azure.com --query accessToken -o tsv)"
                    .into(),
            )
        })
    };
    let mut headers = vec![
        ("accept".to_owned(), "application/json".to_owned()),
        (
            "user-agent".to_owned(),
            format!("openai-ft/{}", crate::VERSION),
        ),
    ];
    for (variable, name) in [
        ("OPENAI_ORG_ID", "openai-organization"),
        ("OPENAI_PROJECT_ID", "openai-project"),
    ] {
        if let Some(value) = non_empty(variable) {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    let number = |name: &str, default: u32, max: u32, unit: &str| -> Result<u32, String> {
        match var(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(format!(
                    "invalid {name} {}: must be a whole number{unit} 1-{max}",
                    quote(v)
                )),
            },
        }
    };
    let endpoint = Endpoint {
        flavor,
        base,
        query,
        headers,
        project,
        admin,
        management_base,
        management,
        connect_timeout_secs: number(
            "OPENAI_FT_CONNECT_TIMEOUT",
            DEFAULT_CONNECT_TIMEOUT_SECS,
            MAX_SECS,
            " of seconds",
        )?,
        timeout_secs: number(
            "OPENAI_FT_TIMEOUT",
            DEFAULT_TIMEOUT_SECS,
            MAX_SECS,
            " of seconds",
        )?,
        signin,
    };
    let limits = Limits {
        memory_mib: number(
            "OPENAI_FT_MEMORY_LIMIT_MIB",
            DEFAULT_MEMORY_MIB,
            MAX_MEMORY_MIB,
            "",
        )?,
        cpu_secs: number("OPENAI_FT_CPU_LIMIT_SECS", DEFAULT_CPU_SECS, MAX_SECS, "")?,
    };
    Ok(Settings { endpoint, limits })
}

/// Accepts `https://host[:port][/path]`, or `http://` to a loopback address (the emulator, a
/// local gateway); returns it without a trailing slash. A refusal never repeats what could be a
/// key ([`shown`]).
fn check_base_url(name: &str, url: &str) -> Result<String, String> {
    let fix = if name == "AZURE_RESOURCE_MANAGER_ENDPOINT" {
        "set it to Azure Resource Manager's endpoint, for example https://management.azure.com"
    } else {
        "set it to the API base, for example https://api.openai.com/v1"
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        // Not a URL at all: it may be anything, a key pasted into the wrong variable included.
        return Err(format!(
            "invalid {name}: not an absolute URL (its value is not repeated here); {fix}"
        ));
    };
    let quoted = quote(&shown(url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || rest.contains(['?', '#']) {
        return Err(format!(
            "invalid {name} {quoted}: needs a host and no user, query or fragment; {fix}"
        ));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback(authority) => {}
        "http" => {
            return Err(format!(
                "invalid {name} {quoted}: must use https (plain http is allowed only for loopback \
                 addresses such as http://127.0.0.1:8080/v1)"
            ));
        }
        _ => {
            return Err(format!(
                "invalid {name} {quoted}: the scheme must be https; {fix}"
            ));
        }
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// `url` as a message shows it: its user info, query and fragment, where a key pasted into a URL
/// lands, each replaced by `[redacted]` (`https://[redacted]@host/v1?[redacted]`).
pub fn shown(url: &str) -> String {
    const REDACTED: &str = "[redacted]";
    let (scheme, rest) = url.split_once("://").map_or(("", url), |(s, r)| (s, r));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let mut out = String::new();
    if !scheme.is_empty() || url.contains("://") {
        out.push_str(scheme);
        out.push_str("://");
    }
    match authority.rsplit_once('@') {
        Some((_, host)) => {
            out.push_str(REDACTED);
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    out.push_str(&tail[..path_end]);
    let mut rest = &tail[path_end..];
    while let Some(mark) = rest.chars().next() {
        out.push(mark);
        out.push_str(REDACTED);
        rest = rest[1..].find('#').map_or("", |i| &rest[1 + i..]);
        if mark == '#' {
            break;
        }
    }
    out
}

/// The host part of `authority` (`host[:port]`, `[v6]:port`), brackets kept off.
pub fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    }
}

/// Is the host part of `authority` (`host[:port]`) a loopback address?
pub fn is_loopback(authority: &str) -> bool {
    let host = host_of(authority);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<core::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| {
                let secret = VARIABLES.iter().any(|var| var.name == *k && var.secret);
                (k.to_string(), if secret { mask(v) } else { v.to_string() })
            })
            .collect()
    }

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        configure(&env(pairs)).settings
    }

    fn endpoint(pairs: &[(&str, &str)]) -> Endpoint {
        settings(pairs).unwrap().endpoint
    }

    fn refusal(pairs: &[(&str, &str)]) -> String {
        settings(pairs).unwrap_err()
    }

    fn header(name: &str, prefix: &str, variable: &str) -> Credential {
        Credential::Header(SecretHeader {
            name: name.into(),
            prefix: prefix.into(),
            variable: variable.into(),
        })
    }

    #[test]
    fn white_space_is_what_trim_removes() {
        let all: String = (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        assert_eq!(WHITE_SPACE, all);
    }

    #[test]
    fn a_mask_keeps_the_ends_trimming_finds_and_nothing_else() {
        assert_eq!(mask(" sk-ab\u{3000}c\n"), " *****\u{3000}*\n");
        let c = configure(&env(&[
            ("OPENAI_API_KEY", "\u{a0} sk-é1 \n"),
            ("OPENAI_ADMIN_KEY", " \t "),
            ("AZURE_OPENAI_AD_TOKEN", "tok"),
            ("OPENAI_BASE_URL", "x"),
        ]));
        assert_eq!(
            c.secrets,
            [
                SecretSpan {
                    variable: "OPENAI_API_KEY".into(),
                    skip: 2,
                    keep: 5
                },
                SecretSpan {
                    variable: "AZURE_OPENAI_AD_TOKEN".into(),
                    skip: 0,
                    keep: 3
                },
            ]
        );
        // The secrets are known even when the configuration is refused, for the redactor.
        assert!(c.settings.is_err());
    }

    #[test]
    fn openai_by_default_with_bearer_keys_and_the_documented_limits() {
        let s = settings(&[("OPENAI_API_KEY", "sk-1"), ("OPENAI_ORG_ID", " org-1 ")]).unwrap();
        let e = s.endpoint;
        assert_eq!(
            (e.flavor, e.base.as_str()),
            (Flavor::OpenAi, DEFAULT_BASE_URL)
        );
        assert_eq!(
            e.project,
            header("authorization", "Bearer ", "OPENAI_API_KEY")
        );
        assert_eq!(
            e.admin,
            Credential::Missing(
                "OPENAI_ADMIN_KEY is not set: checkpoint permissions need an organisation admin key \
                 with the api.fine_tuning.checkpoints.read and .write scopes; export it in the \
                 environment, never in Terraform code"
                    .into()
            )
        );
        assert_eq!(
            e.headers,
            [
                ("accept".to_string(), "application/json".to_string()),
                (
                    "user-agent".to_string(),
                    format!("openai-ft/{}", crate::VERSION)
                ),
                ("openai-organization".to_string(), "org-1".to_string()),
            ]
        );
        assert_eq!((e.connect_timeout_secs, e.timeout_secs), (10, 120));
        assert_eq!(
            s.limits,
            Limits {
                memory_mib: 256,
                cpu_secs: 300
            }
        );
        assert_eq!(
            endpoint(&[("OPENAI_ADMIN_KEY", "sk-admin")]).project,
            Credential::Missing(
                "OPENAI_API_KEY is not set: export a project API key for the fine-tuning API in \
                 the environment that runs Terraform"
                    .into()
            )
        );
    }

    #[test]
    fn azure_flavours_derive_the_base_and_refuse_the_admin_key() {
        let e = endpoint(&[
            ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com/"),
            ("AZURE_OPENAI_API_KEY", "azkey"),
            ("AZURE_OPENAI_AD_TOKEN", "jwt"),
            ("OPENAI_ADMIN_KEY", "sk-admin"),
        ]);
        assert_eq!(
            (e.flavor, e.base.as_str()),
            (Flavor::Azure, "https://res.openai.azure.com/openai/v1")
        );
        assert_eq!(e.project, header("api-key", "", "AZURE_OPENAI_API_KEY"));
        assert_eq!(
            e.admin,
            Credential::Missing(
                "checkpoint permissions do not exist on Azure OpenAI (flavour azure); grant access \
                 with Azure role assignments, or deploy the model into the other resource"
                    .into()
            )
        );
        let e = endpoint(&[
            ("OPENAI_FT_FLAVOR", "azure-classic"),
            ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"),
            ("AZURE_OPENAI_AD_TOKEN", "jwt"),
            ("OPENAI_API_VERSION", "2025-04-01-preview"),
        ]);
        assert_eq!(e.base, "https://res.openai.azure.com/openai");
        assert_eq!(
            e.query,
            [("api-version".to_string(), "2025-04-01-preview".to_string())]
        );
        assert_eq!(
            e.project,
            header("authorization", "Bearer ", "AZURE_OPENAI_AD_TOKEN")
        );
        assert_eq!(
            endpoint(&[("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com")]).project,
            Credential::Missing(
                "AZURE_OPENAI_API_KEY is not set: export the Azure OpenAI resource key, or an Entra \
                 ID token in AZURE_OPENAI_AD_TOKEN, or sign in to Azure (docs/azure.md, \"Sign in \
                 to Azure\"), in the environment that runs Terraform"
                    .into()
            )
        );
    }

    #[test]
    fn every_configuration_refusal_whole() {
        for (pairs, message) in [
            (
                &[("OPENAI_FT_FLAVOR", "bedrock")][..],
                r#"invalid OPENAI_FT_FLAVOR "bedrock": must be openai, azure or azure-classic (unset, it is azure when AZURE_OPENAI_ENDPOINT is set)"#,
            ),
            (
                &[("OPENAI_FT_FLAVOR", "azure")],
                "AZURE_OPENAI_ENDPOINT is not set: the azure flavour needs the resource endpoint, for example https://my-resource.openai.azure.com",
            ),
            (
                &[
                    ("OPENAI_FT_FLAVOR", "azure-classic"),
                    ("AZURE_OPENAI_ENDPOINT", "https://r"),
                ],
                "OPENAI_API_VERSION is not set: the azure-classic flavour sends it on every request; set it, for example to 2025-04-01-preview, or use OPENAI_FT_FLAVOR=azure (no version needed)",
            ),
            (
                &[("OPENAI_FT_TIMEOUT", "0")],
                r#"invalid OPENAI_FT_TIMEOUT "0": must be a whole number of seconds 1-86400"#,
            ),
            (
                &[("OPENAI_FT_CONNECT_TIMEOUT", "ten")],
                r#"invalid OPENAI_FT_CONNECT_TIMEOUT "ten": must be a whole number of seconds 1-86400"#,
            ),
            (
                &[("OPENAI_FT_MEMORY_LIMIT_MIB", "4097")],
                r#"invalid OPENAI_FT_MEMORY_LIMIT_MIB "4097": must be a whole number 1-4096"#,
            ),
            (
                &[("OPENAI_FT_CPU_LIMIT_SECS", "-1")],
                r#"invalid OPENAI_FT_CPU_LIMIT_SECS "-1": must be a whole number 1-86400"#,
            ),
        ] {
            assert_eq!(refusal(pairs), message);
        }
        // Whole numbers as Rust parses them, after trimming.
        assert_eq!(endpoint(&[("OPENAI_FT_TIMEOUT", " +30 ")]).timeout_secs, 30);
        assert_eq!(
            endpoint(&[("OPENAI_FT_CONNECT_TIMEOUT", "007")]).connect_timeout_secs,
            7
        );
    }

    #[test]
    fn base_url_rules() {
        let base = |url: &str| check_base_url("OPENAI_BASE_URL", url);
        assert_eq!(
            base("https://api.openai.com/v1/").unwrap(),
            "https://api.openai.com/v1"
        );
        for ok in [
            "http://127.0.0.1:9/v1",
            "http://[::1]:9/v1",
            "http://localhost/v1",
            "http://127.1.2.3/v1",
            "http://[0:0:0:0:0:0:0:1]:80",
        ] {
            assert_eq!(base(ok).unwrap(), ok);
        }
        let fix = "set it to the API base, for example https://api.openai.com/v1";
        for (url, message) in [
            (
                "http://example.com/v1",
                r#"invalid OPENAI_BASE_URL "http://example.com/v1": must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)"#.to_string(),
            ),
            (
                "http://127.0.0.1.example.com/v1",
                r#"invalid OPENAI_BASE_URL "http://127.0.0.1.example.com/v1": must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)"#.to_string(),
            ),
            (
                "http://[::ffff:127.0.0.1]/v1",
                r#"invalid OPENAI_BASE_URL "http://[::ffff:127.0.0.1]/v1": must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)"#.to_string(),
            ),
            (
                "ftp://x/v1",
                format!(r#"invalid OPENAI_BASE_URL "ftp://x/v1": the scheme must be https; {fix}"#),
            ),
            (
                "api.openai.com",
                format!("invalid OPENAI_BASE_URL: not an absolute URL (its value is not repeated here); {fix}"),
            ),
            (
                "https:///v1",
                format!(r#"invalid OPENAI_BASE_URL "https:///v1": needs a host and no user, query or fragment; {fix}"#),
            ),
        ] {
            assert_eq!(base(url).unwrap_err(), message, "{url}");
        }
    }

    #[test]
    fn no_refusal_repeats_a_key_pasted_into_a_url() {
        let fix = "set it to the API base, for example https://api.openai.com/v1";
        for (name, url, shown) in [
            (
                "OPENAI_BASE_URL",
                "https://user:hunter2-secret@x/v1",
                "https://[redacted]@x/v1",
            ),
            (
                "OPENAI_BASE_URL",
                "https://sk-proj-pasted@api.openai.com/v1",
                "https://[redacted]@api.openai.com/v1",
            ),
            (
                "AZURE_OPENAI_ENDPOINT",
                "https://r.openai.azure.com?api-key=sk-pasted",
                "https://r.openai.azure.com?[redacted]",
            ),
            (
                "OPENAI_BASE_URL",
                "https://x/v1#sk-pasted",
                "https://x/v1#[redacted]",
            ),
            (
                "OPENAI_BASE_URL",
                "https://a:b@x/v1?k=sk-1#sk-2",
                "https://[redacted]@x/v1?[redacted]#[redacted]",
            ),
        ] {
            assert_eq!(
                refusal(&[
                    (
                        "OPENAI_FT_FLAVOR",
                        if name == "OPENAI_BASE_URL" {
                            "openai"
                        } else {
                            "azure"
                        }
                    ),
                    (name, url)
                ]),
                format!(
                    "invalid {name} {}: needs a host and no user, query or fragment; {fix}",
                    quote(shown)
                )
            );
        }
        assert_eq!(
            refusal(&[("OPENAI_BASE_URL", "sk-proj-pasted-here")]),
            format!(
                "invalid OPENAI_BASE_URL: not an absolute URL (its value is not repeated here); {fix}"
            )
        );
        assert_eq!(shown("http://me:pw@[bad"), "http://[redacted]@[bad");
    }
}
