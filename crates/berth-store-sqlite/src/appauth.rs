//! Settings, sessions, tokens, login failures, devices and mail of the app-facing API.

use async_trait::async_trait;
use berth_core::appauth::{
    AppSettings, Device, MailStatus, MailTemplate, OutgoingMail, Session, TokenKind, UserToken,
};
use berth_core::page::{Page, PageRequest};
use berth_core::store::{AppSettingsRepo, DeviceRepo, MailRepo, SessionRepo, StoreResult};
use berth_core::{StoreError, Timestamp};
use serde_json::Value;
use sqlx::Connection as _;
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{corrupt, store_error};
use crate::paging::split_page;
use crate::users::parse_object;

#[async_trait]
impl AppSettingsRepo for SqliteStore {
    async fn app_settings(&self, backend_id: Uuid) -> StoreResult<Option<AppSettings>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT settings FROM app_settings WHERE backend_id = $1")
                .bind(backend_id.to_string())
                .fetch_optional(&self.reader)
                .await
                .map_err(store_error)?;
        text.map(|text| serde_json::from_str(&text).map_err(|_| corrupt("app settings", &text)))
            .transpose()
    }

    async fn put_app_settings(&self, backend_id: Uuid, settings: &AppSettings) -> StoreResult<()> {
        let text =
            serde_json::to_string(settings).map_err(|e| StoreError::Internal(Box::new(e)))?;
        sqlx::query(
            "INSERT INTO app_settings (backend_id, settings) VALUES ($1, $2)
             ON CONFLICT (backend_id) DO UPDATE SET settings = excluded.settings",
        )
        .bind(backend_id.to_string())
        .bind(text)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    backend_id: String,
    id_hash: String,
    user_id: String,
    device_id: String,
    created_at: i64,
    expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    backend_id: String,
    token_hash: String,
    user_id: String,
    device_id: String,
    created_at: i64,
    expires_at: i64,
}

fn parse_backend_id(text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| corrupt("backend id", text))
}

#[async_trait]
impl SessionRepo for SqliteStore {
    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (backend_id, id_hash, user_id, device_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.backend_id.to_string())
        .bind(&session.id_hash)
        .bind(&session.user_id)
        .bind(&session.device_id)
        .bind(session.created_at.as_millis())
        .bind(session.expires_at.as_millis())
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn session(
        &self,
        backend_id: Uuid,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT backend_id, id_hash, user_id, device_id, created_at, expires_at FROM sessions
             WHERE backend_id = $1 AND id_hash = $2 AND expires_at > $3",
        )
        .bind(backend_id.to_string())
        .bind(id_hash)
        .bind(now.as_millis())
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?;
        row.map(|row| {
            Ok(Session {
                backend_id: parse_backend_id(&row.backend_id)?,
                id_hash: row.id_hash,
                user_id: row.user_id,
                device_id: row.device_id,
                created_at: Timestamp::from_millis(row.created_at),
                expires_at: Timestamp::from_millis(row.expires_at),
            })
        })
        .transpose()
    }

    async fn extend_session(
        &self,
        backend_id: Uuid,
        id_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET expires_at = $1 WHERE backend_id = $2 AND id_hash = $3")
            .bind(expires_at.as_millis())
            .bind(backend_id.to_string())
            .bind(id_hash)
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_session(&self, backend_id: Uuid, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE backend_id = $1 AND id_hash = $2")
            .bind(backend_id.to_string())
            .bind(id_hash)
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, backend_id: Uuid, user_id: &str) -> StoreResult<()> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        for sql in [
            "DELETE FROM sessions WHERE backend_id = $1 AND user_id = $2",
            "DELETE FROM user_tokens WHERE backend_id = $1 AND user_id = $2",
        ] {
            sqlx::query(sql)
                .bind(backend_id.to_string())
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }

    async fn insert_token(&self, token: &UserToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_tokens (backend_id, kind, token_hash, user_id, device_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token.backend_id.to_string())
        .bind(token.kind.as_str())
        .bind(&token.token_hash)
        .bind(&token.user_id)
        .bind(&token.device_id)
        .bind(token.created_at.as_millis())
        .bind(token.expires_at.as_millis())
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn take_token(
        &self,
        backend_id: Uuid,
        kind: TokenKind,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<UserToken>> {
        // Deleting and returning in one statement: two requests racing with the same token cannot
        // both succeed.
        let row = sqlx::query_as::<_, TokenRow>(
            "DELETE FROM user_tokens WHERE backend_id = $1 AND kind = $2 AND token_hash = $3
             RETURNING backend_id, token_hash, user_id, device_id, created_at, expires_at",
        )
        .bind(backend_id.to_string())
        .bind(kind.as_str())
        .bind(token_hash)
        .fetch_optional(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        if row.expires_at <= now.as_millis() {
            return Ok(None);
        }
        Ok(Some(UserToken {
            backend_id: parse_backend_id(&row.backend_id)?,
            kind,
            token_hash: row.token_hash,
            user_id: row.user_id,
            device_id: row.device_id,
            created_at: Timestamp::from_millis(row.created_at),
            expires_at: Timestamp::from_millis(row.expires_at),
        }))
    }

    async fn delete_tokens(
        &self,
        backend_id: Uuid,
        kind: TokenKind,
        user_id: &str,
        device_id: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM user_tokens WHERE backend_id = $1 AND kind = $2 AND user_id = $3
               AND ($4 IS NULL OR device_id = $4)",
        )
        .bind(backend_id.to_string())
        .bind(kind.as_str())
        .bind(user_id)
        .bind(device_id)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn record_login_failure(
        &self,
        backend_id: Uuid,
        key: &str,
        now: Timestamp,
        since: Timestamp,
    ) -> StoreResult<u64> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        sqlx::query("INSERT INTO login_failures (backend_id, key, failed_at) VALUES ($1, $2, $3)")
            .bind(backend_id.to_string())
            .bind(key)
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // Old failures no longer count; forget them.
        sqlx::query(
            "DELETE FROM login_failures WHERE backend_id = $1 AND key = $2 AND failed_at < $3",
        )
        .bind(backend_id.to_string())
        .bind(key)
        .bind(since.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE backend_id = $1 AND key = $2",
        )
        .bind(backend_id.to_string())
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn login_failures(
        &self,
        backend_id: Uuid,
        key: &str,
        since: Timestamp,
    ) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE backend_id = $1 AND key = $2 AND failed_at >= $3",
        )
        .bind(backend_id.to_string())
        .bind(key)
        .bind(since.as_millis())
        .fetch_one(&self.reader)
        .await
        .map_err(store_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn clear_login_failures(&self, backend_id: Uuid, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE backend_id = $1 AND key = $2")
            .bind(backend_id.to_string())
            .bind(key)
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    backend_id: String,
    id: String,
    properties: String,
    last_user_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

#[async_trait]
impl DeviceRepo for SqliteStore {
    async fn device(&self, backend_id: Uuid, id: &str) -> StoreResult<Option<Device>> {
        let row = sqlx::query_as::<_, DeviceRow>(
            "SELECT backend_id, id, properties, last_user_id, created_at, updated_at FROM devices
             WHERE backend_id = $1 AND id = $2",
        )
        .bind(backend_id.to_string())
        .bind(id)
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?;
        row.map(|row| {
            Ok(Device {
                backend_id: parse_backend_id(&row.backend_id)?,
                properties: parse_object(&row.properties)?,
                id: row.id,
                last_user_id: row.last_user_id,
                created_at: Timestamp::from_millis(row.created_at),
                updated_at: Timestamp::from_millis(row.updated_at),
            })
        })
        .transpose()
    }

    async fn put_device(&self, device: &Device) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO devices (backend_id, id, properties, last_user_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (backend_id, id) DO UPDATE SET properties = excluded.properties,
               last_user_id = excluded.last_user_id, updated_at = excluded.updated_at",
        )
        .bind(device.backend_id.to_string())
        .bind(&device.id)
        .bind(Value::Object(device.properties.clone()).to_string())
        .bind(&device.last_user_id)
        .bind(device.created_at.as_millis())
        .bind(device.updated_at.as_millis())
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct MailRow {
    backend_id: String,
    id: String,
    recipient: String,
    subject: String,
    body: String,
    template: String,
    status: String,
    error: Option<String>,
    created_at: i64,
}

#[async_trait]
impl MailRepo for SqliteStore {
    async fn mail_template(
        &self,
        backend_id: Uuid,
        name: &str,
    ) -> StoreResult<Option<MailTemplate>> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT name, subject, body FROM mail_templates WHERE backend_id = $1 AND name = $2",
        )
        .bind(backend_id.to_string())
        .bind(name)
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?;
        Ok(row.map(|(name, subject, body)| MailTemplate {
            name,
            subject,
            body,
        }))
    }

    async fn mail_templates(&self, backend_id: Uuid) -> StoreResult<Vec<MailTemplate>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT name, subject, body FROM mail_templates WHERE backend_id = $1 ORDER BY name",
        )
        .bind(backend_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|(name, subject, body)| MailTemplate {
                name,
                subject,
                body,
            })
            .collect())
    }

    async fn put_mail_template(
        &self,
        backend_id: Uuid,
        template: &MailTemplate,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO mail_templates (backend_id, name, subject, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT (backend_id, name) DO UPDATE SET subject = excluded.subject, body = excluded.body",
        )
        .bind(backend_id.to_string())
        .bind(&template.name)
        .bind(&template.subject)
        .bind(&template.body)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete_mail_template(&self, backend_id: Uuid, name: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM mail_templates WHERE backend_id = $1 AND name = $2")
            .bind(backend_id.to_string())
            .bind(name)
            .execute(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn insert_mail(&self, mail: &OutgoingMail) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO mail_outbox (backend_id, id, recipient, subject, body, template, status, error, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(mail.backend_id.to_string())
        .bind(mail.id.to_string())
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(&mail.template)
        .bind(mail.status.as_str())
        .bind(&mail.error)
        .bind(mail.created_at.as_millis())
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn mails(&self, backend_id: Uuid, page: &PageRequest) -> StoreResult<Page<OutgoingMail>> {
        let mut select = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT backend_id, id, recipient, subject, body, template, status, error, created_at
             FROM mail_outbox WHERE backend_id = ",
        );
        select.push_bind(backend_id.to_string());
        select.push(" ORDER BY created_at DESC, id DESC");
        crate::paging::push_page(&mut select, page.limit, page.offset);
        let rows = select
            .build_query_as::<MailRow>()
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        let (rows, has_more) = split_page(rows, page);
        let total = if page.with_total {
            let count: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE backend_id = $1")
                    .bind(backend_id.to_string())
                    .fetch_one(&self.reader)
                    .await
                    .map_err(store_error)?;
            Some(u64::try_from(count).unwrap_or(0))
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|row| {
                Ok(OutgoingMail {
                    backend_id: parse_backend_id(&row.backend_id)?,
                    id: Uuid::parse_str(&row.id).map_err(|_| corrupt("mail id", &row.id))?,
                    status: MailStatus::parse(&row.status)
                        .ok_or_else(|| corrupt("mail status", &row.status))?,
                    to: row.recipient,
                    subject: row.subject,
                    body: row.body,
                    template: row.template,
                    error: row.error,
                    created_at: Timestamp::from_millis(row.created_at),
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(Page {
            items,
            has_more,
            total,
        })
    }
}
