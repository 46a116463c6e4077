//! What the app-facing Monaca API keeps besides users and items: per-backend settings, sessions,
//! login tokens (auto-login), password-reset tokens, devices, and mail.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::timestamp::Timestamp;
use crate::validation::Problems;

/// Backend settings that change the app API's behaviour (Monaca spec §11). Unknown members are
/// refused when set, so a typo is not silently ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AppSettings {
    /// Whether `User.register` is open to anyone.
    pub registration_open: bool,
    pub min_username_length: u32,
    pub min_password_length: u32,
    /// Whether `User.login` hands out login tokens and `User.autoLogin` accepts them.
    pub auto_login_enabled: bool,
    pub login_token_ttl_days: u32,
    /// A session ends after this long without a call.
    pub session_idle_minutes: u32,
    pub password_reset_ttl_minutes: u32,
    /// The code answered for PERMISSION_DENIED: 14 (the error table) or -14 (the collection pages).
    pub permission_denied_code: i64,
    /// Failed logins allowed per username, and per client address, within `login_failure_window_minutes`.
    pub max_failed_logins_per_user: u32,
    pub max_failed_logins_per_address: u32,
    pub login_failure_window_minutes: u32,
    /// Web origins allowed to call the app API from a browser (CORS), e.g. `https://app.example.com`,
    /// `capacitor://localhost`, or `null` for `file://` pages. Empty: any origin.
    pub allowed_origins: Vec<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            registration_open: true,
            min_username_length: 1,
            min_password_length: 6,
            auto_login_enabled: true,
            login_token_ttl_days: 30,
            session_idle_minutes: 24 * 60,
            password_reset_ttl_minutes: 60,
            permission_denied_code: 14,
            max_failed_logins_per_user: 10,
            max_failed_logins_per_address: 100,
            login_failure_window_minutes: 15,
            allowed_origins: Vec::new(),
        }
    }
}

impl AppSettings {
    pub fn check(&self, problems: &mut Problems) {
        let mut within = |field: &str, value: u32, min: u32, max: u32| {
            if !(min..=max).contains(&value) {
                problems.add(field, format!("{field} must be from {min} to {max}."));
            }
        };
        within("minUsernameLength", self.min_username_length, 1, 255);
        within("minPasswordLength", self.min_password_length, 1, 80);
        within("loginTokenTtlDays", self.login_token_ttl_days, 1, 3650);
        within("sessionIdleMinutes", self.session_idle_minutes, 1, 525_600);
        within(
            "passwordResetTtlMinutes",
            self.password_reset_ttl_minutes,
            1,
            10_080,
        );
        within(
            "maxFailedLoginsPerUser",
            self.max_failed_logins_per_user,
            1,
            1_000_000,
        );
        within(
            "maxFailedLoginsPerAddress",
            self.max_failed_logins_per_address,
            1,
            1_000_000,
        );
        within(
            "loginFailureWindowMinutes",
            self.login_failure_window_minutes,
            1,
            1440,
        );
        if self.allowed_origins.len() > MAX_ALLOWED_ORIGINS {
            problems.add(
                "allowedOrigins",
                format!("allowedOrigins may list at most {MAX_ALLOWED_ORIGINS} origins."),
            );
        }
        for origin in &self.allowed_origins {
            if !is_web_origin(origin) {
                problems.add(
                    "allowedOrigins",
                    format!(
                        "{origin:?} is not an origin: give scheme://host[:port] (no path), or null."
                    ),
                );
            }
        }
        if !matches!(self.permission_denied_code, 14 | -14) {
            problems.add(
                "permissionDeniedCode",
                "permissionDeniedCode must be 14 or -14.",
            );
        }
    }

    /// Whether a browser page of `origin` may call the app API (the `Origin` header, compared
    /// without regard to case).
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.is_empty()
            || self
                .allowed_origins
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    }

    pub fn credential_rules(&self) -> crate::service::CredentialRules {
        crate::service::CredentialRules {
            min_username_length: self.min_username_length as usize,
            min_password_length: self.min_password_length as usize,
        }
    }
}

/// Most entries of `allowedOrigins`.
pub const MAX_ALLOWED_ORIGINS: usize = 50;

/// `null`, or `scheme://host[:port]` as browsers send it in `Origin`: no path, no user info.
fn is_web_origin(origin: &str) -> bool {
    if origin == "null" {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // An IPv6 literal keeps its colons inside brackets: `[::1]:8100`.
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((literal, rest)) => (literal, rest),
            None => return false,
        },
        None => match authority.find(':') {
            Some(colon) => (&authority[..colon], &authority[colon..]),
            None => (authority, ""),
        },
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.parse::<u16>().is_ok());
    origin.len() <= 300 && scheme_ok && host_ok && port_ok
}

#[cfg(test)]
mod origin_tests {
    use super::is_web_origin;

    #[test]
    fn origins_as_browsers_send_them() {
        for good in [
            "null",
            "https://app.example.com",
            "http://localhost:8100",
            "capacitor://localhost",
            "http://[::1]:8080",
        ] {
            assert!(is_web_origin(good), "{good}");
        }
        for bad in [
            "",
            "*",
            "app.example.com",
            "https://app.example.com/",
            "https://user@host",
            "https://host:port",
            "https://",
            "1http://x",
        ] {
            assert!(!is_web_origin(bad), "{bad}");
        }
    }
}

/// A logged-in app session. The session id itself is only given to the client; the digest is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub backend_id: Uuid,
    pub id_hash: String,
    pub user_id: String,
    pub device_id: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// What a token stands for: a login token (auto-login) or a password-reset token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Login,
    PasswordReset,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Login => "login",
            TokenKind::PasswordReset => "password_reset",
        }
    }
}

/// A single-use token; only its digest is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct UserToken {
    pub backend_id: Uuid,
    pub kind: TokenKind,
    pub token_hash: String,
    pub user_id: String,
    /// The device a login token was issued to (empty for reset tokens).
    pub device_id: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An app install, identified by the id the native runtime made (`__device`).
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub backend_id: Uuid,
    pub id: String,
    pub properties: Map<String, Value>,
    /// The user last logged in on this device (push targets users through it).
    pub last_user_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const DEVICE_ID_MAX: usize = 255;

/// A mail template: `%NAME%` placeholders are replaced when sending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailTemplate {
    pub name: String,
    pub subject: String,
    pub body: String,
}

pub const PASSWORD_RESET_TEMPLATE: &str = "send_password_token";
pub const PASSWORD_RESET_PLACEHOLDER: &str = "%PASSWORD_RESET_TOKEN%";

/// The state of a mail in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// No mail server is configured: kept here for the operator to read.
    Held,
    Sent,
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Held => "held",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "held" => Some(MailStatus::Held),
            "sent" => Some(MailStatus::Sent),
            "failed" => Some(MailStatus::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMail {
    pub backend_id: Uuid,
    pub id: Uuid,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub template: String,
    pub status: MailStatus,
    pub error: Option<String>,
    pub created_at: Timestamp,
}
