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

/// The host's network configuration.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `OPENAI_BASE_URL` without a trailing slash (default [`DEFAULT_BASE_URL`]). Must be https,
    /// except for loopback addresses.
    pub base: String,
    /// `OPENAI_API_KEY`: jobs, files, models.
    pub project_key: Option<Secret>,
    /// `OPENAI_ADMIN_KEY`: checkpoint permissions. Never used in place of the project key, nor
    /// the other way round.
    pub admin_key: Option<Secret>,
    /// `OPENAI_ORG_ID`, sent as `OpenAI-Organization`.
    pub organization: Option<String>,
    /// `OPENAI_PROJECT_ID`, sent as `OpenAI-Project`.
    pub project: Option<String>,
    /// `OPENAI_FT_CONNECT_TIMEOUT` seconds (default 10).
    pub connect_timeout: Duration,
    /// `OPENAI_FT_TIMEOUT` seconds (default 120): the longest wait for an answer.
    pub timeout: Duration,
}

impl Endpoint {
    /// Reads the configuration through `var` (the process environment, or a map in tests).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let non_empty = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let base = non_empty("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base = check_base_url(base.trim())?;
        Ok(Self {
            base,
            project_key: non_empty("OPENAI_API_KEY").map(|k| Secret(k.trim().to_owned())),
            admin_key: non_empty("OPENAI_ADMIN_KEY").map(|k| Secret(k.trim().to_owned())),
            organization: non_empty("OPENAI_ORG_ID"),
            project: non_empty("OPENAI_PROJECT_ID"),
            connect_timeout: seconds(&var, "OPENAI_FT_CONNECT_TIMEOUT", 10)?,
            timeout: seconds(&var, "OPENAI_FT_TIMEOUT", 120)?,
        })
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
fn check_base_url(url: &str) -> Result<String> {
    let fix = "set it to the API base, for example https://api.openai.com/v1";
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => bail!("invalid OPENAI_BASE_URL {url:?}: not an absolute URL; {fix}"),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || rest.contains(['?', '#']) {
        bail!(
            "invalid OPENAI_BASE_URL {url:?}: needs a host and no user, query or fragment; {fix}"
        );
    }
    match scheme.as_str() {
        "https" => {}
        "http" if is_loopback(authority) => {}
        "http" => bail!(
            "invalid OPENAI_BASE_URL {url:?}: must use https (plain http is allowed only for \
             loopback addresses such as http://127.0.0.1:8080/v1)"
        ),
        _ => bail!("invalid OPENAI_BASE_URL {url:?}: the scheme must be https; {fix}"),
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
            check_base_url("https://api.openai.com/v1/").unwrap(),
            "https://api.openai.com/v1"
        );
        assert!(check_base_url("http://127.0.0.1:9/v1").is_ok());
        assert!(check_base_url("http://[::1]:9/v1").is_ok());
        assert!(check_base_url("http://localhost/v1").is_ok());
        let e = check_base_url("http://example.com/v1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("must use https"), "{e}");
        assert!(check_base_url("http://127.0.0.1.example.com/v1").is_err());
        assert!(check_base_url("ftp://x/v1").is_err());
        assert!(check_base_url("https://user:pw@x/v1").is_err());
        assert!(check_base_url("api.openai.com").is_err());
    }

    #[test]
    fn keys_never_show_in_debug() {
        let e = Endpoint::from_env(env(&[("OPENAI_API_KEY", "sk-test-secret")])).unwrap();
        assert!(!format!("{e:?}").contains("sk-test-secret"));
        assert_eq!(e.base, DEFAULT_BASE_URL);
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
