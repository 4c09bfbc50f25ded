//! Microsoft Entra ID, as far as a client signing in to Azure OpenAI meets it: the tenant's OAuth2
//! token endpoint (`POST /{tenant}/oauth2/v2.0/token`, client credentials with a secret or with a
//! federated assertion), the managed-identity endpoints (IMDS' `GET
//! /metadata/identity/oauth2/token` and App Service's `GET /msi/token`), the tenant's OpenID
//! configuration and instance discovery that MSAL reads first (its endpoints under the authority
//! the client reached, `https` behind a TLS front that says so in `x-forwarded-proto`), and the
//! check the data
//! plane makes of a bearer token it did not get as a key: issued here, unexpired, and for
//! `https://cognitiveservices.azure.com`. Tokens are JWT-shaped (header, claims, a random
//! signature) and live `token_lifetime_secs`; the emulator remembers what it issued, so a token is
//! checked by lookup rather than by signature. Error bodies and `AADSTS` codes are Entra's.

use crate::config::Config;
use crate::state::Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The audience of Azure OpenAI's data plane (scope `…/.default`).
pub const COGNITIVE_SERVICES: &str = "https://cognitiveservices.azure.com";
/// The audience of Azure Resource Manager.
pub const MANAGEMENT: &str = "https://management.azure.com";
const AUDIENCES: [&str; 2] = [COGNITIVE_SERVICES, MANAGEMENT];
/// The audience a federated assertion must carry (Entra's token-exchange audience).
pub const EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// At most this many tokens are remembered; expired ones go first.
const MAX_ISSUED: usize = 10_000;

/// A token handed out: who for, which audience, until when.
#[derive(Debug, Clone)]
pub struct Issued {
    pub audience: String,
    pub expires_ms: u64,
}

/// What the data plane finds of a bearer token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Check {
    /// Never issued here.
    #[default]
    Unknown,
    Valid,
    /// Issued here, past its `exp`.
    Expired,
    /// Issued here for another audience (an ARM token sent to the data plane).
    WrongAudience,
}

/// Every token issued, by value.
#[derive(Debug, Default)]
pub struct Tokens(BTreeMap<String, Issued>);

impl Tokens {
    pub fn check(&self, token: &str, audience: &str, now_ms: u64) -> Check {
        match self.0.get(token) {
            None => Check::Unknown,
            Some(i) if i.audience != audience => Check::WrongAudience,
            Some(i) if i.expires_ms <= now_ms => Check::Expired,
            Some(_) => Check::Valid,
        }
    }

    fn insert(&mut self, token: String, issued: Issued, now_ms: u64) {
        if self.0.len() >= MAX_ISSUED {
            self.0.retain(|_, i| i.expires_ms > now_ms);
        }
        if self.0.len() < MAX_ISSUED {
            self.0.insert(token, issued);
        }
    }
}

/// Whether `path` is one of Entra's endpoints rather than the API's.
pub fn owns(path: &str) -> bool {
    [
        IMDS_PATH,
        IMDS_PATH_SLASH,
        APP_SERVICE_PATH,
        GITHUB_PATH,
        INSTANCE_DISCOVERY_PATH,
    ]
    .contains(&path)
        || token_tenant(path).is_some()
        || metadata_tenant(path).is_some()
}

/// GitHub Actions' OIDC token request (its `ACTIONS_ID_TOKEN_REQUEST_URL`), emulated here.
pub const GITHUB_PATH: &str = "/_github/idtoken";
/// The issuer of GitHub Actions' OIDC tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The subject the emulated GitHub token carries.
pub const GITHUB_SUBJECT: &str = "repo:openai-ft/openai-ft:ref:refs/heads/main";

/// IMDS' token path (on `169.254.169.254` in Azure).
pub const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
/// IMDS' token path as MSAL for Node asks for it under `AZURE_POD_IDENTITY_AUTHORITY_HOST`
/// (with a trailing slash), which IMDS serves the same.
pub const IMDS_PATH_SLASH: &str = "/metadata/identity/oauth2/token/";
/// The App Service / Functions / Container Apps identity endpoint's path (`IDENTITY_ENDPOINT`).
pub const APP_SERVICE_PATH: &str = "/msi/token";

/// Entra's instance discovery, which MSAL asks about an authority it does not know (unless told
/// not to): `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...`.
pub const INSTANCE_DISCOVERY_PATH: &str = "/common/discovery/instance";

/// The tenant of an OpenID configuration path (`/{tenant}/v2.0/.well-known/openid-configuration`),
/// which MSAL reads before its first token request.
fn metadata_tenant(path: &str) -> Option<&str> {
    let tenant = path
        .strip_prefix('/')?
        .strip_suffix("/v2.0/.well-known/openid-configuration")?;
    (!tenant.is_empty() && !tenant.contains('/')).then_some(tenant)
}

/// The authority as the client reached it: `x-forwarded-proto` (a TLS front's) or http, and the
/// `host` header.
fn authority(req: &Request) -> String {
    let scheme = (req.header)("x-forwarded-proto").unwrap_or_else(|| "http".into());
    let host = (req.header)("host").unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}")
}

/// Entra's OpenID Connect metadata for `tenant` (v2.0), its endpoints under `authority`; an
/// unknown tenant is Entra's 400.
fn openid_configuration(config: &Config, authority: &str, tenant: &str) -> (u16, Value) {
    if tenant != config.entra_tenant {
        return aad(
            400,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    let at = |path: &str| format!("{authority}/{tenant}{path}");
    (
        200,
        json!({
            "token_endpoint": at("/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": at("/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": at("/v2.0"),
            "request_uri_parameter_supported": false,
            "authorization_endpoint": at("/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": at("/oauth2/v2.0/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": at("/oauth2/v2.0/logout"),
            "tenant_region_scope": null,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }),
    )
}

/// Entra's instance discovery answer for an authority on this host: its tenant's metadata and
/// the host as its own only alias.
fn instance_discovery(req: &Request) -> (u16, Value) {
    let authority = authority(req);
    let host = authority
        .split_once("://")
        .map_or("", |(_, h)| h)
        .to_owned();
    let query: BTreeMap<String, String> =
        form_urlencoded::parse(req.query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let tenant = query
        .get("authorization_endpoint")
        .and_then(|e| e.split('/').nth(3).map(str::to_owned))
        .unwrap_or_else(|| "common".into());
    (
        200,
        json!({
            "tenant_discovery_endpoint": format!("{authority}/{tenant}/v2.0/.well-known/openid-configuration"),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }),
    )
}

fn token_tenant(path: &str) -> Option<&str> {
    let tenant = path.strip_prefix('/')?.strip_suffix("/oauth2/v2.0/token")?;
    (!tenant.is_empty() && !tenant.contains('/')).then_some(tenant)
}

/// A request to one of Entra's endpoints.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub header: &'a dyn Fn(&str) -> Option<String>,
    pub body: &'a [u8],
}

/// Answers one Entra request at `now` (Unix milliseconds, the emulator's clock): the status and
/// the JSON body.
pub fn serve(
    config: &Config,
    tokens: &mut Tokens,
    rng: &mut Rng,
    now: u64,
    req: &Request,
) -> (u16, Value) {
    if req.path == GITHUB_PATH {
        return github(config, rng, req, now / 1000);
    }
    if req.path == INSTANCE_DISCOVERY_PATH {
        return instance_discovery(req);
    }
    if let Some(tenant) = metadata_tenant(req.path) {
        return openid_configuration(config, &authority(req), tenant);
    }
    let result = if let Some(tenant) = token_tenant(req.path) {
        token_endpoint(config, tenant, req, now)
    } else {
        managed_identity(config, req)
    };
    let (client, resource, ims) = match result {
        Ok(granted) => granted,
        Err(e) => return e,
    };
    let lifetime = config.token_lifetime_secs;
    let token = jwt(config, &client, &resource, now / 1000, lifetime, rng);
    tokens.insert(
        token.clone(),
        Issued {
            audience: resource.clone(),
            expires_ms: now + lifetime * 1000,
        },
        now,
    );
    let expires_on = (now / 1000 + lifetime).to_string();
    let body = match ims {
        // Entra's v2 endpoint: numbers.
        Shape::Entra => json!({"token_type": "Bearer", "expires_in": lifetime,
            "ext_expires_in": lifetime, "access_token": token}),
        // IMDS: every number a string.
        Shape::Imds => json!({"access_token": token, "client_id": client,
            "expires_in": lifetime.to_string(), "expires_on": expires_on,
            "ext_expires_in": lifetime.to_string(), "not_before": (now / 1000).to_string(),
            "resource": resource, "token_type": "Bearer"}),
        // App Service (2019-08-01): no expires_in.
        Shape::AppService => json!({"access_token": token, "client_id": client,
            "expires_on": expires_on, "resource": resource, "token_type": "Bearer"}),
    };
    (200, body)
}

enum Shape {
    Entra,
    Imds,
    AppService,
}

type Granted = Result<(String, String, Shape), (u16, Value)>;

/// Entra's error body: `error`, `error_description` starting with the AADSTS code,
/// `error_codes`, and the ids every answer carries.
fn aad(status: u16, error: &str, code: u32, description: &str) -> (u16, Value) {
    (
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description} Trace ID: 00000000-0000-0000-0000-000000000000 Correlation ID: 00000000-0000-0000-0000-000000000000 Timestamp: 2026-01-01 00:00:00Z"),
            "error_codes": [code],
            "timestamp": "2026-01-01 00:00:00Z",
            "trace_id": "00000000-0000-0000-0000-000000000000",
            "correlation_id": "00000000-0000-0000-0000-000000000000",
        }),
    )
}

fn token_endpoint(config: &Config, tenant: &str, req: &Request, now: u64) -> Granted {
    if req.method != "POST" {
        return Err(aad(
            405,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.",
        ));
    }
    if tenant != config.entra_tenant {
        return Err(aad(
            400,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' not found."),
        ));
    }
    let form: BTreeMap<String, String> = form_urlencoded::parse(req.body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return Err(aad(
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        ));
    }
    let Some(resource) = field("scope")
        .strip_suffix("/.default")
        .filter(|r| AUDIENCES.contains(r))
    else {
        return Err(aad(
            400,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
                field("scope")
            ),
        ));
    };
    let client = field("client_id");
    let secret = config.entra_clients.iter().find_map(|c| {
        let (id, secret) = c.split_once('=')?;
        (id == client).then_some(secret)
    });
    let federated: Vec<(&str, &str)> = config
        .entra_federated
        .iter()
        .filter_map(|f| {
            let (id, rest) = f.split_once('=')?;
            (id == client).then(|| rest.split_once(',').unwrap_or((rest, "")))
        })
        .collect();
    if secret.is_none() && federated.is_empty() {
        return Err(aad(
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client}' was not found in the directory '{tenant}'."
            ),
        ));
    }
    match (form.get("client_secret"), form.get("client_assertion")) {
        (Some(given), _) => {
            if secret != Some(given.as_str()) {
                return Err(aad(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
                ));
            }
        }
        (None, Some(assertion)) => {
            if field("client_assertion_type") != JWT_BEARER {
                return Err(aad(
                    400,
                    "invalid_request",
                    50027,
                    "Invalid client_assertion_type.",
                ));
            }
            let claims = jwt_claims(assertion).ok_or_else(|| {
                aad(
                    400,
                    "invalid_client",
                    50027,
                    "JWT token is invalid or malformed.",
                )
            })?;
            let exp = claims["exp"].as_u64().unwrap_or(0);
            if exp * 1000 <= now {
                return Err(aad(
                    400,
                    "invalid_client",
                    700024,
                    "Client assertion is not within its valid time range.",
                ));
            }
            let aud_ok = match &claims["aud"] {
                Value::String(a) => a == EXCHANGE_AUDIENCE,
                Value::Array(a) => a.iter().any(|a| a == EXCHANGE_AUDIENCE),
                _ => false,
            };
            let (iss, sub) = (
                claims["iss"].as_str().unwrap_or_default(),
                claims["sub"].as_str().unwrap_or_default(),
            );
            if !aud_ok || !federated.contains(&(iss, sub)) {
                return Err(aad(
                    400,
                    "invalid_client",
                    70021,
                    &format!(
                        "No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{}'.",
                        claims["aud"]
                    ),
                ));
            }
        }
        (None, None) => {
            return Err(aad(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            ));
        }
    }
    Ok((client.to_string(), resource.to_string(), Shape::Entra))
}

/// GitHub's token request: `authorization: Bearer` the job's request token
/// (`github_request_token`), `audience` in the query; answers `{"value": JWT}` for
/// [`GITHUB_ISSUER`] and [`GITHUB_SUBJECT`], valid five minutes.
fn github(config: &Config, rng: &mut Rng, req: &Request, now: u64) -> (u16, Value) {
    let expected = config.github_request_token.as_deref().unwrap_or_default();
    let given = (req.header)("authorization").unwrap_or_default();
    if expected.is_empty()
        || given
            .strip_prefix("Bearer ")
            .or_else(|| given.strip_prefix("bearer "))
            != Some(expected)
    {
        return (401, json!({"message": "Bad credentials"}));
    }
    let query: BTreeMap<String, String> =
        form_urlencoded::parse(req.query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let audience = query.get("audience").cloned().unwrap_or_default();
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "github"});
    let claims = json!({"iss": GITHUB_ISSUER, "sub": GITHUB_SUBJECT, "aud": audience,
        "iat": now, "nbf": now, "exp": now + 300, "jti": rng.id("", 16)});
    let signature: Vec<u8> = (0..4).flat_map(|_| rng.next().to_le_bytes()).collect();
    let jwt = format!(
        "{}.{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes()),
        base64url(&signature)
    );
    (200, json!({"count": 1, "value": jwt}))
}

/// IMDS (`Metadata: true`, api-version 2018-02-01) and App Service's endpoint
/// (`X-IDENTITY-HEADER`, api-version 2019-08-01), both answering for the one identity
/// `managed_identity` names.
fn managed_identity(config: &Config, req: &Request) -> Granted {
    let query: BTreeMap<String, String> =
        form_urlencoded::parse(req.query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let invalid = |status: u16, description: &str| {
        (
            status,
            json!({"error": "invalid_request", "error_description": description}),
        )
    };
    let Some(identity) = &config.managed_identity else {
        return Err(invalid(
            400,
            "Identity not found: no managed identity is assigned to this resource.",
        ));
    };
    let shape = if req.path == IMDS_PATH || req.path == IMDS_PATH_SLASH {
        if (req.header)("metadata").as_deref() != Some("true") {
            return Err(invalid(400, "Required metadata header not specified"));
        }
        Shape::Imds
    } else {
        let expected = config.identity_header.as_deref().unwrap_or_default();
        if expected.is_empty() || (req.header)("x-identity-header").as_deref() != Some(expected) {
            return Err(invalid(401, "Invalid or missing X-IDENTITY-HEADER."));
        }
        Shape::AppService
    };
    if req.method != "GET" {
        return Err(invalid(405, "Only GET is allowed."));
    }
    let resource = query
        .get("resource")
        .map(String::as_str)
        .unwrap_or_default();
    let resource = resource.trim_end_matches('/');
    if !AUDIENCES.contains(&resource) {
        return Err(invalid(400, &format!("Invalid resource '{resource}'.")));
    }
    let asked = query.get("client_id").or_else(|| query.get("principal_id"));
    if asked.is_some_and(|c| c != identity) {
        return Err(invalid(400, "Identity not found"));
    }
    Ok((identity.clone(), resource.to_string(), shape))
}

/// An access token shaped as Entra's are: a JWT whose claims name the audience, the tenant, the
/// application and the validity, with a random signature.
fn jwt(
    config: &Config,
    client: &str,
    audience: &str,
    now: u64,
    lifetime: u64,
    rng: &mut Rng,
) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "emulator"});
    let claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{}/", config.entra_tenant),
        "iat": now, "nbf": now, "exp": now + lifetime,
        "appid": client, "oid": client, "sub": client, "tid": config.entra_tenant,
        "uti": rng.id("", 22), "ver": "1.0",
    });
    let signature: Vec<u8> = (0..4).flat_map(|_| rng.next().to_le_bytes()).collect();
    format!(
        "{}.{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes()),
        base64url(&signature)
    )
}

/// The claims of a JWT, unverified (the emulator trusts the federated issuer's signature).
fn jwt_claims(jwt: &str) -> Option<Value> {
    let mut parts = jwt.split('.');
    let (_, claims, _) = (parts.next()?, parts.next()?, parts.next()?);
    serde_json::from_slice(&unbase64url(claims)?).ok()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding, as JWTs use it.
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut n, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        n = n << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((n >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips() {
        for text in ["", "a", "ab", "abc", "abcd", "{\"sub\":\"x\"}"] {
            let encoded = base64url(text.as_bytes());
            assert!(!encoded.contains(['=', '+', '/']));
            assert_eq!(unbase64url(&encoded).unwrap(), text.as_bytes());
        }
        assert_eq!(base64url(b"hello"), "aGVsbG8");
    }
}
