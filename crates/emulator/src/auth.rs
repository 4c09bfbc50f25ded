//! Bearer-key authentication and the scope/role checks of the real service: project keys reach the
//! project endpoints (jobs, files, models), admin keys only the checkpoint-permission endpoints.
//! The Azure flavours instead take a resource key (`api-key` header or bearer) or an Entra token
//! (bearer); there are no admin keys and no scopes there.

use crate::config::Config;
use crate::entra::Check;
use crate::errors::ApiError;

/// What a configured key is allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// A project API key (`--api-key`).
    Project,
    /// An admin key of an organization Owner with every admin scope (`--admin-key`).
    Admin,
    /// An admin key whose user is not an Owner (`--admin-key-no-owner`).
    AdminNoOwner,
    /// An admin key restricted to `api.fine_tuning.checkpoints.read` (`--admin-key-read-only`).
    AdminReadOnly,
}

/// The scope an operation needs; project scopes are named like the real API's restricted keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    JobsRead,
    JobsWrite,
    FilesRead,
    FilesWrite,
    ModelsRead,
    ModelsWrite,
    /// Calling a model (chat completions).
    ModelRequest,
    CheckpointsRead,
    CheckpointsWrite,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::JobsRead => "api.fine_tuning.jobs.read",
            Scope::JobsWrite => "api.fine_tuning.jobs.write",
            Scope::FilesRead => "api.files.read",
            Scope::FilesWrite => "api.files.write",
            Scope::ModelsRead => "api.model.read",
            Scope::ModelsWrite => "api.model.write",
            Scope::ModelRequest => "api.model.request",
            Scope::CheckpointsRead => "api.fine_tuning.checkpoints.read",
            Scope::CheckpointsWrite => "api.fine_tuning.checkpoints.write",
        }
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Scope::CheckpointsRead | Scope::CheckpointsWrite)
    }
}

/// The credentials a request carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// Azure's `api-key` header (ignored by the OpenAI flavour, as OpenAI ignores it).
    pub api_key: Option<&'a str>,
    /// What Entra's records say of the bearer token (Azure only).
    pub entra: Check,
}

/// Finds the role of the caller's key and checks it may use an operation needing `scope`.
pub fn authorize(config: &Config, creds: Credentials, scope: Scope) -> Result<KeyRole, ApiError> {
    if config.flavor.is_azure() {
        return authorize_azure(config, creds);
    }
    let authorization = creds.authorization;
    let key = match authorization.and_then(bearer) {
        Some(k) => k,
        None => return Err(no_key()),
    };
    let role = role_of(config, key).ok_or_else(|| incorrect_key(key))?;
    let allowed = match role {
        KeyRole::Project => !scope.is_admin(),
        KeyRole::Admin => scope.is_admin(),
        KeyRole::AdminReadOnly => scope == Scope::CheckpointsRead,
        KeyRole::AdminNoOwner => {
            if scope.is_admin() {
                return Err(ApiError::new(
                    403,
                    "invalid_request_error",
                    format!(
                        "You have insufficient permissions for this operation. Managing checkpoint permissions requires the Owner role in organization {}, and this key's user is not an Owner.",
                        config.org
                    ),
                ));
            }
            false
        }
    };
    if allowed {
        Ok(role)
    } else {
        Err(missing_scope(scope))
    }
}

/// Azure: an `api-key` header with a resource key, or a bearer resource key or Entra token (one
/// configured as `ad_tokens`, or one the emulator's Entra issued: unexpired, for Cognitive
/// Services). With `disable_local_auth` a key is refused whatever it is. Every operation that
/// exists is open to them (permission endpoints do not exist on Azure).
fn authorize_azure(config: &Config, creds: Credentials) -> Result<KeyRole, ApiError> {
    let has = |keys: &[String], k: &str| keys.iter().any(|x| x == k);
    let api_key = creds.api_key.map(str::trim).filter(|k| !k.is_empty());
    let bearer = creds.authorization.and_then(bearer);
    let key_disabled = || {
        ApiError::new(
            401,
            "invalid_request_error",
            "Key based authentication is disabled for this resource.",
        )
        .azure("AuthenticationTypeDisabled")
    };
    let ok = match (api_key, bearer) {
        (None, None) => {
            return Err(azure_denied(
                "Access denied: no subscription key or token was sent. Send the resource key in an 'api-key' header, or a key or Microsoft Entra token as 'Authorization: Bearer ...'.",
            ));
        }
        (Some(_), _) if config.disable_local_auth => return Err(key_disabled()),
        (Some(k), _) => has(&config.api_keys, k),
        (None, Some(t)) if has(&config.api_keys, t) && config.disable_local_auth => {
            return Err(key_disabled());
        }
        (None, Some(t)) if has(&config.api_keys, t) || has(&config.ad_tokens, t) => true,
        (None, Some(_)) => match creds.entra {
            Check::Valid => true,
            Check::Unknown => false,
            Check::Expired | Check::WrongAudience => {
                return Err(azure_denied(
                    "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.",
                ));
            }
        },
    };
    if ok {
        Ok(KeyRole::Project)
    } else {
        Err(azure_denied(
            "Access denied: the subscription key or token is not valid for this resource, or the API endpoint is wrong. Check the key (or token) and that the endpoint is this resource's.",
        ))
    }
}

/// Azure's gateway 401: code `"401"` on both Azure shapes.
fn azure_denied(message: &str) -> ApiError {
    ApiError::new(401, "invalid_request_error", message).azure("401")
}

fn bearer(header: &str) -> Option<&str> {
    let rest = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))?;
    let key = rest.trim();
    (!key.is_empty()).then_some(key)
}

fn role_of(config: &Config, key: &str) -> Option<KeyRole> {
    let has = |keys: &[String]| keys.iter().any(|k| k == key);
    if has(&config.api_keys) {
        Some(KeyRole::Project)
    } else if has(&config.admin_keys) {
        Some(KeyRole::Admin)
    } else if has(&config.admin_keys_read_only) {
        Some(KeyRole::AdminReadOnly)
    } else if has(&config.admin_keys_no_owner) {
        Some(KeyRole::AdminNoOwner)
    } else {
        None
    }
}

fn no_key() -> ApiError {
    ApiError::new(
        401,
        "invalid_request_error",
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
    )
}

fn incorrect_key(key: &str) -> ApiError {
    ApiError::new(
        401,
        "invalid_request_error",
        format!(
            "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
            mask_key(key)
        ),
    )
    .with_code("invalid_api_key")
}

fn missing_scope(scope: Scope) -> ApiError {
    ApiError::new(
        401,
        "invalid_request_error",
        format!(
            "You have insufficient permissions for this operation. Missing scopes: {}. Check that you have the correct role in your organization (Owner), and if you're using a restricted API key, that it has the necessary scopes.",
            scope.name()
        ),
    )
}

/// Masks a key the way the real API does in its 401 message, so a whole key never leaks into a body
/// or a log: a short prefix, stars, and the last four characters.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "****".to_string();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat((chars.len() - 10).min(40)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_show_the_whole_key() {
        assert_eq!(
            mask_key("sk-abcdefghijklmnopxyz9"),
            format!("sk-abc{}xyz9", "*".repeat(13))
        );
        assert_eq!(mask_key("short"), "****");
    }
}
