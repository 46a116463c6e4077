//! The app-facing Monaca use cases: registration, login and sessions, auto-login, password reset,
//! user and device properties, mail, and collection items under per-item permissions.

use std::net::IpAddr;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::appauth::{
    AppSettings, DEVICE_ID_MAX, Device, MailStatus, MailTemplate, OutgoingMail,
    PASSWORD_RESET_PLACEHOLDER, PASSWORD_RESET_TEMPLATE, Session, TokenKind, UserToken,
};
use crate::appdata::{Collection, Item, Permission, User, check_password, check_properties};
use crate::error::{Error, Result, StoreError};
use crate::ids::new_row_id;
use crate::password::{hash_password, verify_password};
use crate::secret::{generate_token, hash_secret};
use crate::store::{ItemQuery, Principal, Right};
use crate::timestamp::Timestamp;
use crate::validation::Problems;

use super::{Berth, ItemOwner, UserChanges};

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
/// What stands in the outbox copy of a sent mail where a password-reset token was.
pub const REDACTED_SECRET: &str = "[token sent, not kept]";

/// A successful login: the user, the new session id (for `X-Set-Monaca-Cloud-Session`) and, when
/// auto-login is on, a new login token.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub user: User,
    pub session_id: String,
    pub login_token: Option<String>,
}

/// Delivers mail; without one, mail is held in the outbox for the operator.
#[async_trait::async_trait]
pub trait MailTransport: Send + Sync {
    async fn deliver(&self, mail: &OutgoingMail) -> std::result::Result<(), String>;
}

fn wrong_credentials() -> Error {
    Error::invalid("password", "The username or password is incorrect.")
}

/// Whether `principal` holds `right` on `item` (the rule the stores apply in SQL, for single items).
pub fn item_grants(item: &Item, principal: &Principal, right: Right) -> bool {
    let owner = match (&item.owner_user_oid, &principal.user_oid) {
        (Some(owner), Some(user)) => owner == user,
        (None, None) => item.owner_device_oid.as_deref() == Some(principal.device_id.as_str()),
        _ => false,
    };
    let granted = |who: &str| {
        item.permission.get(who).is_some_and(|access| match right {
            Right::Read => access.read,
            Right::Write => access.write,
        })
    };
    owner || granted(crate::appdata::PUBLIC) || principal.user_oid.as_deref().is_some_and(granted)
}

impl Berth {
    pub async fn app_settings(&self, backend_id: Uuid) -> Result<AppSettings> {
        Ok(self
            .store
            .app_settings(backend_id)
            .await?
            .unwrap_or_default())
    }

    /// Applies the given members to the backend's settings; unknown members and bad values are refused.
    pub async fn update_app_settings(
        &self,
        backend_id: Uuid,
        changes: Map<String, Value>,
    ) -> Result<AppSettings> {
        let current = self.app_settings(backend_id).await?;
        let mut merged = match serde_json::to_value(&current) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        merged.extend(changes);
        let settings: AppSettings = serde_json::from_value(Value::Object(merged))
            .map_err(|e| Error::invalid("settings", format!("The settings are not valid: {e}.")))?;
        let mut problems = Problems::new();
        settings.check(&mut problems);
        problems.into_result()?;
        self.store.put_app_settings(backend_id, &settings).await?;
        Ok(settings)
    }

    /// The logged-in user behind a session id, if the session is alive (and extends it when half of
    /// its idle time has passed). Unknown or expired sessions are simply not logged in.
    pub async fn app_session(
        &self,
        backend_id: Uuid,
        session_id: &str,
        settings: &AppSettings,
    ) -> Result<Option<(Session, User)>> {
        let now = Timestamp::now();
        let id_hash = hash_secret(session_id);
        let Some(session) = self.store.session(backend_id, &id_hash, now).await? else {
            return Ok(None);
        };
        let Some(user) = self.store.user(backend_id, &session.user_id).await? else {
            self.store.delete_session(backend_id, &id_hash).await?;
            return Ok(None);
        };
        let idle = i64::from(settings.session_idle_minutes) * MINUTE;
        if session.expires_at.as_millis() - now.as_millis() < idle / 2 {
            self.store
                .extend_session(
                    backend_id,
                    &id_hash,
                    Timestamp::from_millis(now.as_millis() + idle),
                )
                .await?;
        }
        Ok(Some((session, user)))
    }

    async fn start_session(
        &self,
        backend_id: Uuid,
        device_id: &str,
        user: User,
        settings: &AppSettings,
    ) -> Result<LoggedIn> {
        let now = Timestamp::now();
        let session_id = generate_token();
        self.store
            .insert_session(&Session {
                backend_id,
                id_hash: hash_secret(&session_id),
                user_id: user.id.clone(),
                device_id: device_id.to_owned(),
                created_at: now,
                expires_at: Timestamp::from_millis(
                    now.as_millis() + i64::from(settings.session_idle_minutes) * MINUTE,
                ),
            })
            .await?;
        let login_token = if settings.auto_login_enabled {
            let token = generate_token();
            self.store
                .insert_token(&UserToken {
                    backend_id,
                    kind: TokenKind::Login,
                    token_hash: hash_secret(&token),
                    user_id: user.id.clone(),
                    device_id: device_id.to_owned(),
                    created_at: now,
                    expires_at: Timestamp::from_millis(
                        now.as_millis() + i64::from(settings.login_token_ttl_days) * DAY,
                    ),
                })
                .await?;
            Some(token)
        } else {
            None
        };
        self.remember_device_user(backend_id, device_id, Some(&user.id))
            .await?;
        Ok(LoggedIn {
            user,
            session_id,
            login_token,
        })
    }

    /// Records which user is on a device (push reaches users through their devices).
    async fn remember_device_user(
        &self,
        backend_id: Uuid,
        device_id: &str,
        user_id: Option<&str>,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut device = self.device_or_new(backend_id, device_id, now).await?;
        if device.last_user_id.as_deref() == user_id && device.created_at != now {
            return Ok(());
        }
        device.last_user_id = user_id.map(str::to_owned);
        device.updated_at = now.max(device.updated_at);
        Ok(self.store.put_device(&device).await?)
    }

    async fn device_or_new(
        &self,
        backend_id: Uuid,
        device_id: &str,
        now: Timestamp,
    ) -> Result<Device> {
        Ok(self
            .store
            .device(backend_id, device_id)
            .await?
            .unwrap_or(Device {
                backend_id,
                id: device_id.to_owned(),
                properties: Map::new(),
                last_user_id: None,
                created_at: now,
                updated_at: now,
            }))
    }

    pub async fn register(
        &self,
        backend_id: Uuid,
        device_id: &str,
        username: &str,
        password: &str,
        properties: Map<String, Value>,
    ) -> Result<LoggedIn> {
        let settings = self.app_settings(backend_id).await?;
        if !settings.registration_open {
            return Err(Error::Conflict(
                "Registration is closed for this backend.".to_owned(),
            ));
        }
        let user = self
            .create_user(
                backend_id,
                username,
                password,
                properties,
                settings.credential_rules(),
            )
            .await?;
        self.start_session(backend_id, device_id, user, &settings)
            .await
    }

    /// Logs a user in with username and password (see [`Berth::verify_credentials`]).
    pub async fn login(
        &self,
        backend_id: Uuid,
        device_id: &str,
        address: IpAddr,
        username: &str,
        password: &str,
    ) -> Result<LoggedIn> {
        let settings = self.app_settings(backend_id).await?;
        let user = self
            .verify_credentials(backend_id, address, username, password)
            .await?;
        self.start_session(backend_id, device_id, user, &settings)
            .await
    }

    /// Checks a username and password, counting failures per username and per address: past the
    /// backend's limits they are refused for the rest of the window, even when right. Wrong ones are
    /// `Invalid` (on `password`), whether the username exists or not.
    pub async fn verify_credentials(
        &self,
        backend_id: Uuid,
        address: IpAddr,
        username: &str,
        password: &str,
    ) -> Result<User> {
        let settings = self.app_settings(backend_id).await?;
        let now = Timestamp::now();
        let since = now.minus_millis(i64::from(settings.login_failure_window_minutes) * MINUTE);
        let user_key = format!("user:{username}");
        let address_key = format!("address:{}", address.to_canonical());
        if self
            .store
            .login_failures(backend_id, &user_key, since)
            .await?
            >= u64::from(settings.max_failed_logins_per_user)
            || self
                .store
                .login_failures(backend_id, &address_key, since)
                .await?
                >= u64::from(settings.max_failed_logins_per_address)
        {
            return Err(Error::RateLimited(format!(
                "Too many failed logins; try again in {} minutes.",
                settings.login_failure_window_minutes
            )));
        }
        let user = self.store.user_by_username(backend_id, username).await?;
        // An unknown username costs the same hash as a wrong password, so timing tells nothing.
        let stored = match &user {
            Some(user) => user.password_hash.clone(),
            None => dummy_hash().await?,
        };
        let valid = verify_password(password, &stored).await? && user.is_some();
        let Some(user) = user.filter(|_| valid) else {
            self.store
                .record_login_failure(backend_id, &user_key, now, since)
                .await?;
            self.store
                .record_login_failure(backend_id, &address_key, now, since)
                .await?;
            return Err(wrong_credentials());
        };
        self.store
            .clear_login_failures(backend_id, &user_key)
            .await?;
        Ok(user)
    }

    /// Trades a login token (once) for a new session and a new token, on the device it was issued to.
    pub async fn auto_login(
        &self,
        backend_id: Uuid,
        device_id: &str,
        login_token: &str,
    ) -> Result<LoggedIn> {
        let settings = self.app_settings(backend_id).await?;
        if !settings.auto_login_enabled {
            return Err(Error::Conflict(
                "Auto-login is disabled for this backend.".to_owned(),
            ));
        }
        let invalid = || Error::invalid("loginToken", "The login token is not valid.");
        if login_token.is_empty() {
            return Err(invalid());
        }
        let token = self
            .store
            .take_token(
                backend_id,
                TokenKind::Login,
                &hash_secret(login_token),
                Timestamp::now(),
            )
            .await?
            .filter(|token| token.device_id == device_id)
            .ok_or_else(invalid)?;
        let user = self
            .store
            .user(backend_id, &token.user_id)
            .await?
            .ok_or_else(invalid)?;
        self.start_session(backend_id, device_id, user, &settings)
            .await
    }

    /// Ends the session and the device's login tokens (auto-login stops).
    pub async fn logout(&self, session: &Session) -> Result<()> {
        self.store
            .delete_session(session.backend_id, &session.id_hash)
            .await?;
        self.store
            .delete_tokens(
                session.backend_id,
                TokenKind::Login,
                &session.user_id,
                Some(&session.device_id),
            )
            .await?;
        Ok(())
    }

    /// Deletes the logged-in user after checking the password.
    pub async fn unregister(&self, user: &User, password: &str) -> Result<()> {
        if !verify_password(password, &user.password_hash).await? {
            return Err(Error::invalid("password", "The password is incorrect."));
        }
        self.store
            .delete_user_sessions(user.backend_id, &user.id)
            .await?;
        self.store
            .delete_users(user.backend_id, std::slice::from_ref(&user.id))
            .await?;
        Ok(())
    }

    /// Changes the password; login tokens stop working (other devices must log in again).
    pub async fn update_password(
        &self,
        user: &User,
        old_password: &str,
        new_password: &str,
    ) -> Result<()> {
        let settings = self.app_settings(user.backend_id).await?;
        if !verify_password(old_password, &user.password_hash).await? {
            return Err(Error::invalid("oldPassword", "The password is incorrect."));
        }
        let mut problems = Problems::new();
        check_password(
            "newPassword",
            new_password,
            settings.min_password_length as usize,
            &mut problems,
        );
        problems.into_result()?;
        let changes = UserChanges {
            password: Some(new_password.to_owned()),
            ..Default::default()
        };
        self.update_user(
            user.backend_id,
            &user.id,
            changes,
            settings.credential_rules(),
        )
        .await?;
        self.store
            .delete_tokens(user.backend_id, TokenKind::Login, &user.id, None)
            .await?;
        Ok(())
    }

    /// Mails a single-use password-reset token to the user, through the named template (which must
    /// contain `%PASSWORD_RESET_TOKEN%`).
    pub async fn send_password_reset_token(
        &self,
        backend_id: Uuid,
        username: &str,
        email_property: &str,
        template_name: &str,
    ) -> Result<()> {
        let settings = self.app_settings(backend_id).await?;
        let user = self
            .store
            .user_by_username(backend_id, username)
            .await?
            .ok_or_else(|| Error::invalid("username", "User not found."))?;
        let template = self
            .mail_template_or_default(backend_id, template_name)
            .await?;
        let address = email_address(&user, email_property)?;
        if !template.body.contains(PASSWORD_RESET_PLACEHOLDER)
            && !template.subject.contains(PASSWORD_RESET_PLACEHOLDER)
        {
            return Err(Error::invalid(
                "options",
                format!(
                    "The mail template {template_name} must contain {PASSWORD_RESET_PLACEHOLDER}."
                ),
            ));
        }
        let token = reset_token();
        let now = Timestamp::now();
        self.store
            .delete_tokens(backend_id, TokenKind::PasswordReset, &user.id, None)
            .await?;
        self.store
            .insert_token(&UserToken {
                backend_id,
                kind: TokenKind::PasswordReset,
                token_hash: hash_secret(&token),
                user_id: user.id.clone(),
                device_id: String::new(),
                created_at: now,
                expires_at: Timestamp::from_millis(
                    now.as_millis() + i64::from(settings.password_reset_ttl_minutes) * MINUTE,
                ),
            })
            .await?;
        let mut substitutions = Map::new();
        substitutions.insert(
            "PASSWORD_RESET_TOKEN".to_owned(),
            Value::from(token.clone()),
        );
        self.deliver_mail(
            backend_id,
            &address,
            &template,
            &substitutions,
            Some(&token),
        )
        .await
    }

    /// Sets a new password with a reset token (once, before it expires) and logs the user in. Wrong
    /// tokens count as failed logins of that username.
    pub async fn reset_password_and_login(
        &self,
        backend_id: Uuid,
        device_id: &str,
        username: &str,
        new_password: &str,
        token: &str,
    ) -> Result<LoggedIn> {
        let settings = self.app_settings(backend_id).await?;
        let now = Timestamp::now();
        let since = now.minus_millis(i64::from(settings.login_failure_window_minutes) * MINUTE);
        let key = format!("reset:{username}");
        if self.store.login_failures(backend_id, &key, since).await?
            >= u64::from(settings.max_failed_logins_per_user)
        {
            return Err(Error::RateLimited(
                "Too many wrong reset tokens; ask for a new one later.".to_owned(),
            ));
        }
        let mut problems = Problems::new();
        check_password(
            "newPassword",
            new_password,
            settings.min_password_length as usize,
            &mut problems,
        );
        problems.into_result()?;
        let user = self
            .store
            .user_by_username(backend_id, username)
            .await?
            .ok_or_else(|| Error::invalid("username", "User not found."))?;
        let taken = self
            .store
            .take_token(
                backend_id,
                TokenKind::PasswordReset,
                &hash_secret(token.trim()),
                now,
            )
            .await?;
        match taken {
            Some(taken) if taken.user_id == user.id => {}
            Some(other) => {
                // Someone else's token: put it back untouched and refuse.
                self.store.insert_token(&other).await?;
                self.store
                    .record_login_failure(backend_id, &key, now, since)
                    .await?;
                return Err(Error::invalid("token", "The token is not valid."));
            }
            None => {
                self.store
                    .record_login_failure(backend_id, &key, now, since)
                    .await?;
                return Err(Error::invalid(
                    "token",
                    "The token is not valid or has expired.",
                ));
            }
        }
        let changes = UserChanges {
            password: Some(new_password.to_owned()),
            ..Default::default()
        };
        let user = self
            .update_user(backend_id, &user.id, changes, settings.credential_rules())
            .await?;
        self.store
            .delete_user_sessions(backend_id, &user.id)
            .await?;
        self.store.clear_login_failures(backend_id, &key).await?;
        self.start_session(backend_id, device_id, user, &settings)
            .await
    }

    /// Merges properties into the logged-in user's.
    pub async fn save_user_properties(
        &self,
        user: &User,
        properties: Map<String, Value>,
    ) -> Result<()> {
        let settings = self.app_settings(user.backend_id).await?;
        let changes = UserChanges {
            properties,
            ..Default::default()
        };
        self.update_user(
            user.backend_id,
            &user.id,
            changes,
            settings.credential_rules(),
        )
        .await
        .map_err(|error| rename_field(error, "user", "properties"))?;
        Ok(())
    }

    pub async fn device_properties(
        &self,
        backend_id: Uuid,
        device_id: &str,
    ) -> Result<Map<String, Value>> {
        Ok(self
            .store
            .device(backend_id, device_id)
            .await?
            .map(|device| device.properties)
            .unwrap_or_default())
    }

    pub async fn save_device_properties(
        &self,
        backend_id: Uuid,
        device_id: &str,
        properties: Map<String, Value>,
    ) -> Result<()> {
        let mut problems = Problems::new();
        check_properties("properties", &properties, &mut problems);
        problems.into_result()?;
        let now = Timestamp::now();
        let mut device = self.device_or_new(backend_id, device_id, now).await?;
        device.properties.extend(properties);
        let mut problems = Problems::new();
        check_properties("properties", &device.properties, &mut problems);
        problems.into_result()?;
        device.updated_at = now.max(device.updated_at);
        Ok(self.store.put_device(&device).await?)
    }

    /// The named template, or the built-in one for password resets.
    pub async fn mail_template_or_default(
        &self,
        backend_id: Uuid,
        name: &str,
    ) -> Result<MailTemplate> {
        if let Some(template) = self.store.mail_template(backend_id, name).await? {
            return Ok(template);
        }
        if name == PASSWORD_RESET_TEMPLATE {
            return Ok(MailTemplate {
                name: name.to_owned(),
                subject: "Your password reset token".to_owned(),
                body: format!(
                    "Use this token to set a new password: {PASSWORD_RESET_PLACEHOLDER}\n"
                ),
            });
        }
        Err(Error::invalid(
            "templateName",
            format!("There is no mail template named {name}."),
        ))
    }

    /// `Mailer.sendMail`: mails a template to a user of the backend.
    pub async fn send_mail_to_user(
        &self,
        backend_id: Uuid,
        user_oid: &str,
        template_name: &str,
        substitutions: &Map<String, Value>,
        email_property: &str,
    ) -> Result<()> {
        let user = self
            .store
            .user(backend_id, user_oid)
            .await?
            .ok_or_else(|| Error::invalid("userOid", "User not found."))?;
        let template = self
            .mail_template_or_default(backend_id, template_name)
            .await?;
        let address = email_address(&user, email_property)?;
        self.deliver_mail(backend_id, &address, &template, substitutions, None)
            .await
    }

    /// Fills the template, hands the mail to the transport (if any) and records it in the outbox
    /// either way: nothing is dropped silently. A transport failure is reported to the caller.
    ///
    /// `secret` (a password-reset token) is blanked out of the outbox copy of a mail the transport
    /// took: the user has it, and a live token must not sit readable in the database. Without a
    /// transport (or when it failed) the outbox is the only way the mail reaches anyone, so the held
    /// copy keeps it.
    async fn deliver_mail(
        &self,
        backend_id: Uuid,
        to: &str,
        template: &MailTemplate,
        substitutions: &Map<String, Value>,
        secret: Option<&str>,
    ) -> Result<()> {
        let fill = |text: &str| {
            substitutions
                .iter()
                .fold(text.to_owned(), |text, (name, value)| {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    text.replace(&format!("%{name}%"), &value)
                })
        };
        let mut mail = OutgoingMail {
            backend_id,
            id: new_row_id(),
            to: to.to_owned(),
            subject: fill(&template.subject),
            body: fill(&template.body),
            template: template.name.clone(),
            status: MailStatus::Held,
            error: None,
            created_at: Timestamp::now(),
        };
        let outcome = match &self.mail {
            None => Ok(()),
            Some(transport) => match transport.deliver(&mail).await {
                Ok(()) => {
                    mail.status = MailStatus::Sent;
                    Ok(())
                }
                Err(error) => {
                    mail.status = MailStatus::Failed;
                    mail.error = Some(error.clone());
                    Err(Error::Store(StoreError::Unavailable(
                        format!("mail delivery failed: {error}").into(),
                    )))
                }
            },
        };
        if let Some(secret) = secret.filter(|_| mail.status == MailStatus::Sent) {
            mail.subject = mail.subject.replace(secret, REDACTED_SECRET);
            mail.body = mail.body.replace(secret, REDACTED_SECRET);
        }
        self.store.insert_mail(&mail).await?;
        outcome
    }

    /// `Collection.insert`: refused unless the collection is insertable. The caller owns the item.
    pub async fn insert_item_as(
        &self,
        collection: &Collection,
        principal: &Principal,
        data: Map<String, Value>,
        permission: Option<Permission>,
    ) -> Result<Item> {
        if !collection.is_insertable {
            return Err(Error::PermissionDenied(format!(
                "The collection {} does not accept inserts from apps.",
                collection.name
            )));
        }
        let owner = match &principal.user_oid {
            Some(user) => ItemOwner {
                user_oid: Some(user.clone()),
                device_oid: None,
            },
            None => ItemOwner {
                user_oid: None,
                device_oid: Some(principal.device_id.clone()),
            },
        };
        self.create_item(collection, data, permission, owner).await
    }

    /// The item, if the principal may write it (update, delete and permission calls need write).
    pub async fn writable_item(
        &self,
        collection: &Collection,
        principal: &Principal,
        id: &str,
    ) -> Result<Item> {
        let item = self.item(collection, id, "itemOid").await?;
        if !item_grants(&item, principal, Right::Write) {
            return Err(Error::PermissionDenied(format!(
                "No write permission on item {id}."
            )));
        }
        Ok(item)
    }

    /// `Collection.updatePermission`: changes the permission of every matching item the principal
    /// may write; merged into the existing one unless `force_overwrite`. Returns how many changed.
    pub async fn update_permissions(
        &self,
        collection: &Collection,
        query: ItemQuery,
        permission: &Permission,
        force_overwrite: bool,
    ) -> Result<u64> {
        let page = self.list_items(collection, &query).await?;
        let updates: Vec<(String, Permission)> = page
            .items
            .into_iter()
            .map(|item| {
                let next = if force_overwrite {
                    permission.clone()
                } else {
                    let mut merged = item.permission;
                    merged.extend(permission.iter().map(|(k, v)| (k.clone(), *v)));
                    merged
                };
                (item.id, next)
            })
            .collect();
        if updates.is_empty() {
            return Ok(0);
        }
        self.store
            .set_item_permissions(collection, &updates)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    Error::Conflict("An item changed meanwhile; try again.".to_owned())
                }
                other => other.into(),
            })?;
        Ok(updates.len() as u64)
    }
}

/// A hash of a random password, made once: logins of unknown usernames are checked against it.
async fn dummy_hash() -> Result<String> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| async { hash_password(&generate_token()).await })
        .await
        .cloned()
}

/// Ten characters a person can copy from a mail: upper-case letters and digits without look-alikes
/// (about 50 bits; the token works once, expires, and wrong guesses are counted).
fn reset_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 10];
    rand::fill(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn email_address(user: &User, email_property: &str) -> Result<String> {
    let address = if email_property == "_username" {
        Some(user.username.clone())
    } else {
        user.properties
            .get(email_property)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    address.filter(|a| a.contains('@')).ok_or_else(|| {
        Error::invalid(
            "options",
            format!("The user has no mail address in {email_property}."),
        )
    })
}

fn rename_field(error: Error, from: &str, to: &str) -> Error {
    match error {
        Error::Invalid(problems) => Error::Invalid(
            problems
                .into_iter()
                .map(|mut p| {
                    if p.field == from {
                        p.field = to.to_owned();
                    }
                    p
                })
                .collect(),
        ),
        other => other,
    }
}

/// A device id as the runtimes send it: present, at most 255 characters.
pub fn check_device_id(device_id: &str) -> bool {
    !device_id.is_empty() && device_id.len() <= DEVICE_ID_MAX
}

/// Longest template subject and body.
pub const MAIL_SUBJECT_MAX: usize = 1000;
pub const MAIL_BODY_MAX: usize = 100 * 1024;

impl Berth {
    pub async fn put_mail_template(&self, backend_id: Uuid, template: MailTemplate) -> Result<()> {
        let mut problems = Problems::new();
        if template.name.is_empty()
            || template.name.len() > 100
            || !template
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            problems.add(
                "name",
                "A template name is 1 to 100 letters, digits or underscores.",
            );
        }
        problems.check_length("subject", &template.subject, MAIL_SUBJECT_MAX);
        if template.body.len() > MAIL_BODY_MAX {
            problems.add("body", "A template body is at most 100 KB.");
        }
        problems.into_result()?;
        Ok(self.store.put_mail_template(backend_id, &template).await?)
    }

    pub async fn mail_templates(&self, backend_id: Uuid) -> Result<Vec<MailTemplate>> {
        Ok(self.store.mail_templates(backend_id).await?)
    }

    pub async fn delete_mail_template(&self, backend_id: Uuid, name: &str) -> Result<()> {
        self.store
            .delete_mail_template(backend_id, name)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => Error::not_found("name", "Template not found."),
                other => other.into(),
            })
    }

    /// The backend's outbox, newest first: every mail, sent, failed or held.
    pub async fn mail_outbox(
        &self,
        backend_id: Uuid,
        page: &crate::page::PageRequest,
    ) -> Result<crate::page::Page<OutgoingMail>> {
        Ok(self.store.mails(backend_id, page).await?)
    }
}
