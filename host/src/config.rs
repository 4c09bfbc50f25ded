//! Everything the host takes from its environment, read in one place: the variables the host
//! logic decides the configuration from (`openai_ft_host_logic::config`; every secret masked
//! before it gets there, its value kept here), and the proxy, which only this host honours.
//! Nothing else in the host reads an environment variable. The guest never sees any of it: it
//! names a path and a credential, and the host adds the rest.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use openai_ft_host_logic::config::{self as logic, SecretHeader, is_loopback, mask, shown};

use crate::redact::Redactor;

pub use logic::Flavor;

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
    /// What a command runs with: everything from the process environment. A refusal is one
    /// line with every secret of the environment redacted from it.
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// What listing the commands runs with: the defaults (it sends nothing, so no setting may
    /// stop `--help`).
    pub fn offline() -> Self {
        Self::from_vars(|_| None).unwrap_or_else(|_| unreachable!("the defaults are valid"))
    }

    /// Reads the configuration through `var` (the process environment, or a map in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut values = Vec::new();
        let mut masked = Vec::new();
        for v in logic::VARIABLES {
            if let Some(value) = var(v.name) {
                masked.push((
                    v.name.to_owned(),
                    if v.secret {
                        mask(&value)
                    } else {
                        value.clone()
                    },
                ));
                values.push((v.name, value));
            }
        }
        let configured = logic::configure(&masked);
        let mut secrets: Vec<(String, Secret)> = configured
            .secrets
            .iter()
            .filter_map(|span| {
                let (_, value) = values.iter().find(|(name, _)| *name == span.variable)?;
                let value: String = value
                    .chars()
                    .skip(span.skip as usize)
                    .take(span.keep as usize)
                    .collect();
                Some((span.variable.clone(), Secret(value)))
            })
            .collect();
        let redact = |secrets: &[(String, Secret)], e: String| {
            Redactor::new(secrets.iter().map(|(_, s)| s.expose()))
                .text(&e)
                .into_owned()
        };
        let settings = match configured.settings {
            Ok(settings) => settings,
            Err(e) => return Err(redact(&secrets, e)),
        };
        let proxy = proxy_for(&var, &settings.endpoint.base)?;
        let management_proxy = proxy_for(&var, &settings.endpoint.management_base)?;
        for p in [&proxy, &management_proxy].into_iter().flatten() {
            // One proxy often serves both destinations: its password is one secret.
            if let Some(password) = userinfo_password(p.expose())
                && !secrets.iter().any(|(_, s)| s.expose() == password)
            {
                secrets.push(("proxy".into(), Secret(password.to_owned())));
            }
        }
        Ok(Self {
            endpoint: Endpoint {
                logic: settings.endpoint,
                secrets,
                proxy,
                management_proxy,
                cache_dir: cache_dir(&var),
            },
            limits: Limits {
                memory: (settings.limits.memory_mib as usize) << 20,
                cpu: Duration::from_secs(settings.limits.cpu_secs.into()),
            },
        })
    }
}

/// The input object from [`INPUT_VAR`], when it is set.
pub fn input_var() -> Option<OsString> {
    std::env::var_os(INPUT_VAR)
}

/// A key, kept out of `Debug` output and error messages.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The host's network configuration: the logic's decisions and the secrets they name.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Flavour, base, headers, timeouts and which credential each request carries.
    pub logic: logic::Endpoint,
    /// The value of every secret variable set, trimmed, and a proxy's password.
    secrets: Vec<(String, Secret)>,
    /// The proxy requests go through: `HTTPS_PROXY` (or `https_proxy`, `ALL_PROXY`,
    /// `all_proxy`, the first set), unless the base is a loopback address (never proxied) or
    /// its host is in `NO_PROXY` (`no_proxy`). A secret: its URL may carry a password.
    pub proxy: Option<Secret>,
    /// The proxy requests to Azure Resource Manager go through, by the same rules for its
    /// endpoint.
    pub management_proxy: Option<Secret>,
    /// Where answers the guest lets be reused are kept for a few minutes (the WIT's
    /// `cache-hint`; see `cache.rs`): `OPENAI_FT_CACHE_DIR`, or `openai-ft/http` in
    /// `XDG_CACHE_HOME` (default `~/.cache`); `OPENAI_FT_CACHE_DIR=off`, or no home, keeps none.
    /// Only this host keeps such a cache (HOST.md, section 2).
    pub cache_dir: Option<PathBuf>,
}

impl Endpoint {
    /// Every secret value this configuration holds, for redaction wherever a server could echo
    /// one back.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.secrets.iter().map(|(_, s)| s.expose())
    }

    /// The credential `header` names, completed with its secret.
    pub fn header(&self, header: &SecretHeader) -> (String, String) {
        let value = self.secret(&header.variable).unwrap_or_default();
        (header.name.clone(), format!("{}{value}", header.prefix))
    }

    /// The trimmed value of the secret `variable`, if it is set.
    pub fn secret(&self, variable: &str) -> Option<&str> {
        self.secrets
            .iter()
            .find(|(name, _)| *name == variable)
            .map(|(_, s)| s.expose())
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.logic.connect_timeout_secs.into())
    }

    /// The timeout for a response's head, and again for its body.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.logic.timeout_secs.into())
    }
}

/// The answer cache's folder: `OPENAI_FT_CACHE_DIR` (`off` for none), else the XDG cache folder
/// (`XDG_CACHE_HOME`, or `HOME/.cache`; relative ones are ignored, as the XDG spec says).
fn cache_dir(var: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let non_empty = |name: &str| {
        var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    if let Some(dir) = non_empty("OPENAI_FT_CACHE_DIR") {
        return (dir != "off").then(|| PathBuf::from(dir));
    }
    let absolute = |name: &str| {
        non_empty(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("openai-ft").join("http"))
}

/// How far the guest may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Linear memory, in bytes: `OPENAI_FT_MEMORY_LIMIT_MIB`.
    pub memory: usize,
    /// CPU time of the calling thread, guest and host work together; time spent waiting (for
    /// the network, or sleeping between polls) does not count: `OPENAI_FT_CPU_LIMIT_SECS`.
    pub cpu: Duration,
}

/// A password in the userinfo of a URL (`scheme://user:password@host`, or no scheme), if any.
fn userinfo_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo
        .split_once(':')
        .map(|(_, password)| password)
        .filter(|p| !p.is_empty())
}

/// The proxy for `base` (already checked by the logic): none for a loopback base, whose traffic
/// must never leave the machine, nor for a host `NO_PROXY` names; else the first of
/// `HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`, `all_proxy` that is set. (`HTTP_PROXY` is for
/// plain-http URLs, and the only plain-http bases are loopback ones.)
fn proxy_for(var: &impl Fn(&str) -> Option<String>, base: &str) -> Result<Option<Secret>, String> {
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
    let host = logic::host_of(authority).to_ascii_lowercase();
    let no_proxy = set("NO_PROXY").or_else(|| set("no_proxy"));
    if no_proxy.is_some_and(|(_, list)| list.split(',').any(|e| no_proxy_matches(e, &host))) {
        return Ok(None);
    }
    if ureq::Proxy::new(&url).is_err() {
        return Err(format!(
            "invalid {name} {:?}: not a proxy URL; set it to one like http://proxy.example.com:3128, or unset it",
            shown(&url)
        ));
    }
    Ok(Some(Secret(url)))
}

/// Whether one `NO_PROXY` entry covers `host` (lower case): `*` covers every host, `.example.com`
/// and `*.example.com` its subdomains, `example.com` the host and its subdomains, as curl reads
/// them. A port in the entry is ignored.
fn no_proxy_matches(entry: &str, host: &str) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    let entry = logic::host_of(&entry);
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
    fn loopback_is_never_proxied_and_https_follows_the_proxy_variables() {
        let proxied = |pairs: &[(&str, &str)]| {
            Config::from_vars(env(pairs))
                .unwrap()
                .endpoint
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
    fn secrets_are_every_key_set_trimmed_and_the_proxy_password() {
        let c = Config::from_vars(env(&[
            ("OPENAI_API_KEY", " sk-project-0123456789\n"),
            ("OPENAI_ADMIN_KEY", "sk-admin-0123456789"),
            ("AZURE_OPENAI_API_KEY", "azure-key-not-in-use"),
            ("HTTPS_PROXY", "http://me:proxy-password-1@proxy.test:3128"),
        ]))
        .unwrap();
        assert_eq!(
            c.endpoint.secrets().collect::<Vec<_>>(),
            [
                "sk-project-0123456789",
                "sk-admin-0123456789",
                "azure-key-not-in-use",
                "proxy-password-1"
            ]
        );
        let header = |variable: &str| SecretHeader {
            name: "authorization".into(),
            prefix: "Bearer ".into(),
            variable: variable.into(),
        };
        assert_eq!(
            c.endpoint.header(&header("OPENAI_API_KEY")),
            (
                "authorization".into(),
                "Bearer sk-project-0123456789".into()
            )
        );
        assert!(!format!("{c:?}").contains("proxy-password-1"));
        assert!(!format!("{c:?}").contains("sk-project"));
        let err =
            Config::from_vars(env(&[("HTTPS_PROXY", "http://me:pw-1234567@[bad")])).unwrap_err();
        assert_eq!(
            err,
            r#"invalid HTTPS_PROXY "http://[redacted]@[bad": not a proxy URL; set it to one like http://proxy.example.com:3128, or unset it"#
        );
    }

    #[test]
    fn a_refusal_never_shows_a_configured_secret() {
        for (var, value) in [
            ("OPENAI_BASE_URL", "https://x/v1?key=sk-pasted-twice-0123"),
            ("OPENAI_FT_FLAVOR", "sk-pasted-twice-0123"),
            ("OPENAI_FT_TIMEOUT", "sk-pasted-twice-0123"),
        ] {
            let err = Config::from_vars(env(&[
                ("OPENAI_API_KEY", "sk-pasted-twice-0123"),
                (var, value),
            ]))
            .unwrap_err();
            assert!(!err.contains("sk-pasted"), "{err}");
        }
        assert_eq!(
            Config::from_vars(env(&[
                ("OPENAI_API_KEY", "sk-pasted-twice-0123"),
                ("OPENAI_FT_FLAVOR", "sk-pasted-twice-0123"),
            ]))
            .unwrap_err(),
            r#"invalid OPENAI_FT_FLAVOR "[redacted]": must be openai, azure or azure-classic (unset, it is azure when AZURE_OPENAI_ENDPOINT is set)"#
        );
    }

    #[test]
    fn limits_come_from_the_logic() {
        let c = Config::offline();
        assert_eq!(
            (c.limits.memory, c.limits.cpu),
            (256 << 20, Duration::from_secs(300))
        );
        assert_eq!(c.endpoint.logic.base, logic::DEFAULT_BASE_URL);
    }
}
