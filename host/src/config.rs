//! Everything the host takes from its environment, read in one place into one typed [`Config`]:
//! where requests go and which keys they carry ([`Endpoint`]), how far the guest may go
//! ([`Limits`]), where the input comes from, and which file a command is granted. Nothing else in
//! the host reads an environment variable. The guest never sees any of it: it names a path and a
//! credential, and the host adds the rest.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::granted::GrantedFile;

/// The default API base.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// `OPENAI_FT_TIMEOUT`'s default, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// `OPENAI_FT_CONNECT_TIMEOUT`'s default, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// `OPENAI_FT_MEMORY_LIMIT_MIB`'s default; at most 4 GiB, all a 32-bit guest can address.
pub const DEFAULT_MEMORY_MIB: u64 = 256;
const MAX_MEMORY_MIB: u64 = 4096;
/// `OPENAI_FT_CPU_LIMIT_SECS`'s default; it and the timeouts are at most a day.
pub const DEFAULT_CPU_SECS: u64 = 300;
const MAX_SECS: u64 = 86_400;
/// How the host's refusal of the admin credential on Azure starts. The guest refuses checkpoint
/// permissions on Azure first, in its own words and before any request (the core's
/// `permissions` commands check the flavour), so no user of this component sees this line; it
/// stays as the host's own boundary: whatever a component asks, the OpenAI admin key never goes to
/// an Azure endpoint.
const NO_PERMISSIONS_ON_AZURE: &str = "checkpoint permissions do not exist on Azure OpenAI";
/// The variable that carries the input object when stdin is not used (local-exec gives none).
pub const INPUT_VAR: &str = "OPENAI_FT_INPUT";

/// The host's whole configuration, read once from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where requests go and which keys they carry.
    pub endpoint: Endpoint,
    /// How far the guest may go.
    pub limits: Limits,
}

impl Config {
    /// What a command runs with: everything from the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(env_var)
    }

    /// What listing the commands and the self-tests run with: the environment's limits, and the
    /// default endpoint (they send nothing, so a bad endpoint setting must not stop `--help`).
    pub fn offline() -> Result<Self> {
        Ok(Self {
            endpoint: Endpoint::from_vars(|_| None)?,
            limits: Limits::from_vars(env_var)?,
        })
    }

    /// Reads the configuration through `var` (the process environment, or a map in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        Ok(Self {
            endpoint: Endpoint::from_vars(&var)?,
            limits: Limits::from_vars(&var)?,
        })
    }
}

/// The input object from [`INPUT_VAR`], when it is set.
pub fn input_var() -> Option<OsString> {
    std::env::var_os(INPUT_VAR)
}

/// The one file a command is granted: the `path` input of the `file` commands, opened by the
/// host for the guest; no other command gets one.
pub fn granted_file(noun: &str, input: &[(String, String)]) -> Result<Option<GrantedFile>> {
    match (noun, input.iter().find(|(k, _)| k == "path")) {
        ("file", Some((_, path))) if !path.is_empty() => {
            Ok(Some(GrantedFile::open(Path::new(path)).map_err(|e| {
                anyhow::anyhow!(
                    "invalid path {path:?}: {e}; set path to a readable local JSONL file"
                )
            })?))
        }
        _ => Ok(None),
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

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

/// Which dialect of the fine-tuning API the host speaks: the WIT's own `api-flavor`, which the
/// guest asks for. `openai` is api.openai.com or any OpenAI-compatible base URL with a bearer
/// key; `azure` is Azure OpenAI's v1 surface (`{endpoint}/openai/v1`, `api-key` or Entra ID
/// bearer token); `azure-classic` its dated API (`{endpoint}/openai?api-version=...`).
pub use crate::bindings::wit_http::ApiFlavor as Flavor;

impl Flavor {
    /// Every flavour.
    const ALL: [Flavor; 3] = [Flavor::Openai, Flavor::Azure, Flavor::AzureClassic];

    /// The flavour's name in `OPENAI_FT_FLAVOR`, which is its WIT name.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Openai => "openai",
            Flavor::Azure => "azure",
            Flavor::AzureClassic => "azure-classic",
        }
    }

    /// The flavour named `name`, if any.
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
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
    /// `OPENAI_FT_CONNECT_TIMEOUT` seconds (default [`DEFAULT_CONNECT_TIMEOUT_SECS`]).
    pub connect_timeout: Duration,
    /// `OPENAI_FT_TIMEOUT` seconds (default [`DEFAULT_TIMEOUT_SECS`]): the longest wait for an
    /// answer.
    pub timeout: Duration,
    /// The proxy requests go through: `HTTPS_PROXY` (or `https_proxy`, `ALL_PROXY`,
    /// `all_proxy`, the first set), unless the base is a loopback address (never proxied) or
    /// its host is in `NO_PROXY` (`no_proxy`). A secret: its URL may carry a password.
    pub proxy: Option<Secret>,
}

impl Endpoint {
    /// Reads the network configuration through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let non_empty = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let secret = |name: &str| non_empty(name).map(Secret);
        let azure_endpoint = non_empty("AZURE_OPENAI_ENDPOINT");
        let flavor = match non_empty("OPENAI_FT_FLAVOR") {
            Some(name) => match Flavor::parse(&name) {
                Some(flavor) => flavor,
                None => bail!(
                    "invalid OPENAI_FT_FLAVOR {name:?}: must be openai, azure or azure-classic (unset, it is azure when AZURE_OPENAI_ENDPOINT is set)"
                ),
            },
            None if azure_endpoint.is_some() => Flavor::Azure,
            None => Flavor::Openai,
        };
        let (base, project, api_version) = match flavor {
            Flavor::Openai => {
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
        let seconds = |name: &str, default: u64| {
            whole_number(&var, name, default, MAX_SECS, " of seconds").map(Duration::from_secs)
        };
        let proxy = proxy_for(&var, &base)?;
        Ok(Self {
            flavor,
            base,
            project,
            admin_key: secret("OPENAI_ADMIN_KEY"),
            organization: non_empty("OPENAI_ORG_ID"),
            project_id: non_empty("OPENAI_PROJECT_ID"),
            api_version,
            connect_timeout: seconds("OPENAI_FT_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT_SECS)?,
            timeout: seconds("OPENAI_FT_TIMEOUT", DEFAULT_TIMEOUT_SECS)?,
            proxy,
        })
    }

    /// Every secret value this configuration holds (keys, tokens, a proxy's password), for
    /// redaction wherever a server could echo one back.
    pub fn secrets(&self) -> Vec<&str> {
        let project = self.project.as_ref().map(|p| match p {
            ProjectAuth::Bearer(s) | ProjectAuth::ApiKey(s) => s.expose(),
        });
        let admin = self.admin_key.as_ref().map(Secret::expose);
        let proxy = self
            .proxy
            .as_ref()
            .and_then(|p| userinfo_password(p.expose()));
        [project, admin, proxy].into_iter().flatten().collect()
    }

    /// The Azure resource endpoint (`AZURE_OPENAI_ENDPOINT` as checked: the base without its
    /// `/openai/v1` or `/openai`), under an Azure flavour.
    pub fn azure_resource(&self) -> Option<&str> {
        let suffix = match self.flavor {
            Flavor::Openai => return None,
            Flavor::Azure => "/openai/v1",
            Flavor::AzureClassic => "/openai",
        };
        self.base.strip_suffix(suffix)
    }

    /// The header that carries the project credential, or the message naming what to set.
    pub fn project_header(&self) -> Result<(&'static str, String), String> {
        match (&self.project, self.flavor) {
            (Some(ProjectAuth::Bearer(s)), _) => {
                Ok(("authorization", format!("Bearer {}", s.expose())))
            }
            (Some(ProjectAuth::ApiKey(s)), _) => Ok(("api-key", s.expose().to_owned())),
            (None, Flavor::Openai) => Err(
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
        if self.flavor != Flavor::Openai {
            return Err(format!(
                "{NO_PERMISSIONS_ON_AZURE} (flavour {}); the admin key is sent only to the OpenAI API",
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

/// How far the guest may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Linear memory, in bytes: `OPENAI_FT_MEMORY_LIMIT_MIB` (default [`DEFAULT_MEMORY_MIB`]).
    pub memory: usize,
    /// CPU time of the calling thread, guest and host work together; time spent waiting (for
    /// the network, or sleeping between polls) does not count: `OPENAI_FT_CPU_LIMIT_SECS`
    /// (default [`DEFAULT_CPU_SECS`]).
    pub cpu: Duration,
}

impl Limits {
    /// Reads the limits through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mib = whole_number(
            &var,
            "OPENAI_FT_MEMORY_LIMIT_MIB",
            DEFAULT_MEMORY_MIB,
            MAX_MEMORY_MIB,
            "",
        )?;
        let secs = whole_number(
            &var,
            "OPENAI_FT_CPU_LIMIT_SECS",
            DEFAULT_CPU_SECS,
            MAX_SECS,
            "",
        )?;
        Ok(Self {
            memory: (mib as usize) << 20,
            cpu: Duration::from_secs(secs),
        })
    }
}

/// The whole number 1-`max` in `name`, or `default` when it is unset; `unit` (" of seconds",
/// or nothing) goes into the refusal.
fn whole_number(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u64,
    max: u64,
    unit: &str,
) -> Result<u64> {
    match var(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => bail!("invalid {name} {v:?}: must be a whole number{unit} 1-{max}"),
        },
    }
}

/// Accepts `https://host[:port][/path]`, or `http://` to a loopback address (the emulator, a
/// local gateway); returns it without a trailing slash.
/// A password in the userinfo of a URL (`scheme://user:password@host`, or no scheme), if any.
fn userinfo_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, password)| password)
}

/// `url` as error lines show it: any password in it replaced by `[redacted]`.
fn shown(url: &str) -> String {
    match userinfo_password(url) {
        Some(password) if !password.is_empty() => {
            // The password is a slice of `url`: its place there, not its first look-alike.
            let start = password.as_ptr() as usize - url.as_ptr() as usize;
            let end = start + password.len();
            format!("{}[redacted]{}", &url[..start], &url[end..])
        }
        _ => url.to_owned(),
    }
}

fn check_base_url(name: &str, url: &str) -> Result<String> {
    let fix = "set it to the API base, for example https://api.openai.com/v1";
    let quoted = shown(url);
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => bail!("invalid {name} {quoted:?}: not an absolute URL; {fix}"),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || rest.contains(['?', '#']) {
        bail!("invalid {name} {quoted:?}: needs a host and no user, query or fragment; {fix}");
    }
    match scheme.as_str() {
        "https" => {}
        "http" if is_loopback(authority) => {}
        "http" => bail!(
            "invalid {name} {quoted:?}: must use https (plain http is allowed only for \
             loopback addresses such as http://127.0.0.1:8080/v1)"
        ),
        _ => bail!("invalid {name} {quoted:?}: the scheme must be https; {fix}"),
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The proxy for `base` (already checked by [`check_base_url`]): none for a loopback base,
/// whose traffic must never leave the machine, nor for a host `NO_PROXY` names; else the first
/// of `HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`, `all_proxy` that is set. (`HTTP_PROXY` is for
/// plain-http URLs, and the only plain-http bases are loopback ones.)
fn proxy_for(var: &impl Fn(&str) -> Option<String>, base: &str) -> Result<Option<Secret>> {
    let authority = base
        .split_once("://")
        .map_or(base, |(_, r)| r)
        .split('/')
        .next()
        .unwrap_or_default();
    if is_loopback(authority) {
        return Ok(None);
    }
    let set = |name: &str| {
        var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .map(|v| (name.to_owned(), v))
    };
    let Some((name, url)) = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .into_iter()
        .find_map(set)
    else {
        return Ok(None);
    };
    let host = host_of(authority).to_ascii_lowercase();
    let no_proxy = set("NO_PROXY").or_else(|| set("no_proxy"));
    if no_proxy.is_some_and(|(_, list)| list.split(',').any(|e| no_proxy_matches(e, &host))) {
        return Ok(None);
    }
    if ureq::Proxy::new(&url).is_err() {
        bail!(
            "invalid {name} {:?}: not a proxy URL; set it to one like http://proxy.example.com:3128, or unset it",
            shown(&url)
        );
    }
    Ok(Some(Secret(url)))
}

/// Whether one `NO_PROXY` entry covers `host` (lower case): `*` covers every host, `.example.com`
/// and `*.example.com` its subdomains, `example.com` the host and its subdomains, as curl reads
/// them. A port in the entry is ignored.
fn no_proxy_matches(entry: &str, host: &str) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    let entry = host_of(&entry);
    if entry == "*" {
        return true;
    }
    let domain = entry.trim_start_matches('*').trim_start_matches('.');
    !domain.is_empty()
        && (host == domain
            || host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.ends_with('.')))
}

/// The host part of `authority` (`host[:port]`, `[v6]:port`), brackets kept off.
fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    }
}

/// Is the host part of `authority` (`host[:port]`) a loopback address?
fn is_loopback(authority: &str) -> bool {
    let host = host_of(authority);
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
        assert!(check_base_url("OPENAI_BASE_URL", "api.openai.com").is_err());
    }

    #[test]
    fn a_password_in_a_base_url_is_never_repeated() {
        for (url, expected) in [
            (
                "https://user:hunter2-secret@x/v1",
                r#"invalid OPENAI_BASE_URL "https://user:[redacted]@x/v1": needs a host and no user, query or fragment; set it to the API base, for example https://api.openai.com/v1"#,
            ),
            (
                "http://me:hunter2-secret@example.com/v1",
                r#"invalid OPENAI_BASE_URL "http://me:[redacted]@example.com/v1": needs a host and no user, query or fragment; set it to the API base, for example https://api.openai.com/v1"#,
            ),
        ] {
            let e = check_base_url("OPENAI_BASE_URL", url)
                .unwrap_err()
                .to_string();
            assert_eq!(e, expected);
        }
    }

    #[test]
    fn loopback_is_never_proxied_and_https_follows_the_proxy_variables() {
        let proxied = |pairs: &[(&str, &str)]| {
            Endpoint::from_vars(env(pairs))
                .unwrap()
                .proxy
                .map(|p| p.expose().to_owned())
        };
        let all = [
            ("HTTPS_PROXY", "http://proxy.test:3128"),
            ("ALL_PROXY", "http://all.test:3128"),
            ("HTTP_PROXY", "http://plain.test:3128"),
        ];
        for base in [
            "http://127.0.0.1:9/v1",
            "http://localhost:9/v1",
            "http://[::1]:9/v1",
        ] {
            let mut pairs = all.to_vec();
            pairs.push(("OPENAI_BASE_URL", base));
            assert_eq!(proxied(&pairs), None, "{base}");
        }
        assert_eq!(proxied(&all).as_deref(), Some("http://proxy.test:3128"));
        assert_eq!(
            proxied(&[("ALL_PROXY", "http://all.test:3128")]).as_deref(),
            Some("http://all.test:3128")
        );
        assert_eq!(proxied(&[("HTTP_PROXY", "http://plain.test:3128")]), None);
        for no_proxy in [
            "api.openai.com",
            "openai.com",
            ".openai.com",
            "*",
            "x, *.openai.com:443",
        ] {
            assert_eq!(
                proxied(&[
                    ("HTTPS_PROXY", "http://proxy.test:3128"),
                    ("NO_PROXY", no_proxy)
                ]),
                None,
                "{no_proxy}"
            );
        }
        assert!(
            proxied(&[
                ("HTTPS_PROXY", "http://proxy.test:3128"),
                ("no_proxy", "penai.com")
            ])
            .is_some()
        );
    }

    #[test]
    fn secrets_are_every_key_and_the_proxy_password() {
        let e = Endpoint::from_vars(env(&[
            ("OPENAI_API_KEY", "sk-project-0123456789"),
            ("OPENAI_ADMIN_KEY", "sk-admin-0123456789"),
            ("HTTPS_PROXY", "http://me:proxy-password-1@proxy.test:3128"),
        ]))
        .unwrap();
        assert_eq!(
            e.secrets(),
            [
                "sk-project-0123456789",
                "sk-admin-0123456789",
                "proxy-password-1"
            ]
        );
        assert!(!format!("{e:?}").contains("proxy-password-1"));
        let err = Endpoint::from_vars(env(&[("HTTPS_PROXY", "http://me:pw-1234567@[bad")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            r#"invalid HTTPS_PROXY "http://me:[redacted]@[bad": not a proxy URL; set it to one like http://proxy.example.com:3128, or unset it"#
        );
    }

    #[test]
    fn keys_never_show_in_debug() {
        let e = Endpoint::from_vars(env(&[("OPENAI_API_KEY", "sk-test-secret")])).unwrap();
        assert!(!format!("{e:?}").contains("sk-test-secret"));
        assert_eq!(e.base, DEFAULT_BASE_URL);
    }

    #[test]
    fn flavours_come_from_the_environment() {
        let e = Endpoint::from_vars(env(&[
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

        let e = Endpoint::from_vars(env(&[
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

        let err = Endpoint::from_vars(env(&[
            ("OPENAI_FT_FLAVOR", "azure-classic"),
            ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().starts_with("OPENAI_API_VERSION is not set"),
            "{err}"
        );
        let err = Endpoint::from_vars(env(&[("OPENAI_FT_FLAVOR", "azure")])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AZURE_OPENAI_ENDPOINT is not set"),
            "{err}"
        );
        let err = Endpoint::from_vars(env(&[("OPENAI_FT_FLAVOR", "bedrock")])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"invalid OPENAI_FT_FLAVOR "bedrock""#),
            "{err}"
        );
        let e = Endpoint::from_vars(env(&[(
            "OPENAI_BASE_URL",
            "https://gateway.example.com/v1",
        )]))
        .unwrap();
        assert_eq!(e.flavor, Flavor::Openai);
        assert!(
            e.project_header()
                .unwrap_err()
                .starts_with("OPENAI_API_KEY is not set")
        );
    }

    #[test]
    fn limits_have_their_documented_defaults_and_bounds() {
        let limits = Limits::from_vars(env(&[])).unwrap();
        assert_eq!(limits.memory, 256 << 20);
        assert_eq!(limits.cpu, Duration::from_secs(300));
        let e = Limits::from_vars(env(&[("OPENAI_FT_CPU_LIMIT_SECS", "86401")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid OPENAI_FT_CPU_LIMIT_SECS "86401": must be a whole number 1-86400"#
        );
    }

    #[test]
    fn timeouts_are_checked() {
        let e = Endpoint::from_vars(env(&[("OPENAI_FT_TIMEOUT", "0")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid OPENAI_FT_TIMEOUT "0": must be a whole number of seconds 1-86400"#
        );
    }
}
