//! Push registrations, notifications and the delivery outbox. Targets are expanded with
//! `INSERT … SELECT` in batches behind a per-notification cursor, so a send to a million devices never
//! passes through memory; the single writer connection makes claims exclusive.

use async_trait::async_trait;
use berth_core::StoreError;
use berth_core::Timestamp;
use berth_core::monaql::Scope;
use berth_core::page::{Page, PageRequest, SortDirection};
use berth_core::push::{
    ApnsGateway, ClaimedDelivery, DeliveryResult, NewNotification, Notification, NotificationOrder,
    NotificationQuery, NotificationState, NotificationTarget, PushPlatform, PushProvider,
    PushRegistration, SettledDelivery, StoredPushConfig,
};
use berth_core::store::{PushRepo, StoreResult};
use sqlx::Connection as _;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::{corrupt, store_error};
use crate::monaql::push_criteria;
use crate::paging::{escape_like, split_page};
use crate::users::USER_COLUMNS;

const REGISTRATION_SELECT: &str = "SELECT seq, backend_id, id, provider, platform, token, device_id, user_id, build_type, gateway, app_id, app_version, invalid, created_at, updated_at FROM push_registrations";

const NOTIFICATION_SELECT: &str = "SELECT id, backend_id, target, platform, provider, build_type, message, request, tag, send_on, state, created_at, started_at, finished_at, expanded, total, sent, failed, invalid, error FROM push_notifications";

#[async_trait]
impl PushRepo for SqliteStore {
    async fn push_config(&self, backend_id: Uuid) -> StoreResult<Option<StoredPushConfig>> {
        let row = sqlx::query("SELECT backend_id, push_project_id, sealed_credentials, updated_at FROM push_configs WHERE backend_id = $1")
            .bind(backend_id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(|row| config_from_row(&row)).transpose()
    }

    async fn push_config_by_project(
        &self,
        push_project_id: &str,
    ) -> StoreResult<Option<StoredPushConfig>> {
        let row = sqlx::query("SELECT backend_id, push_project_id, sealed_credentials, updated_at FROM push_configs WHERE push_project_id = $1")
            .bind(push_project_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(|row| config_from_row(&row)).transpose()
    }

    async fn put_push_config(&self, config: &StoredPushConfig) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO push_configs (backend_id, push_project_id, sealed_credentials, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (backend_id) DO UPDATE SET push_project_id = excluded.push_project_id, \
             sealed_credentials = excluded.sealed_credentials, updated_at = excluded.updated_at",
        )
        .bind(config.backend_id.to_string())
        .bind(&config.push_project_id)
        .bind(&config.sealed_credentials)
        .bind(config.updated_at.as_millis())
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn register_push_token(
        &self,
        registration: &PushRegistration,
        replace_device_tokens: bool,
    ) -> StoreResult<PushRegistration> {
        let backend_id = registration.backend_id.to_string();
        let mut writer = self.writer.connection().await?;
        let mut transaction = writer.begin().await.map_err(store_error)?;
        if replace_device_tokens && let Some(device_id) = &registration.device_id {
            sqlx::query(
                "DELETE FROM push_registrations WHERE backend_id = $1 AND device_id = $2 AND provider = $3 AND token <> $4",
            )
            .bind(&backend_id)
            .bind(device_id)
            .bind(registration.provider.as_str())
            .bind(&registration.token)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        }
        sqlx::query(
            "INSERT INTO push_registrations (backend_id, id, provider, platform, token, device_id, user_id, build_type, gateway, app_id, app_version, invalid, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13) \
             ON CONFLICT (backend_id, provider, token) DO UPDATE SET platform = excluded.platform, \
             device_id = excluded.device_id, user_id = excluded.user_id, build_type = excluded.build_type, \
             gateway = excluded.gateway, app_id = excluded.app_id, app_version = excluded.app_version, \
             invalid = 0, updated_at = excluded.updated_at",
        )
        .bind(&backend_id)
        .bind(registration.id.to_string())
        .bind(registration.provider.as_str())
        .bind(registration.platform.as_str())
        .bind(&registration.token)
        .bind(&registration.device_id)
        .bind(&registration.user_id)
        .bind(&registration.build_type)
        .bind(registration.gateway.map(ApnsGateway::as_str))
        .bind(&registration.app_id)
        .bind(&registration.app_version)
        .bind(registration.created_at.as_millis())
        .bind(registration.updated_at.as_millis())
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{REGISTRATION_SELECT} WHERE backend_id = $1 AND provider = $2 AND token = $3"
        )))
        .bind(&backend_id)
        .bind(registration.provider.as_str())
        .bind(&registration.token)
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        registration_from_row(&row)
    }

    async fn deregister_push_token(
        &self,
        backend_id: Uuid,
        provider: PushProvider,
        token: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM push_registrations WHERE backend_id = $1 AND provider = $2 AND token = $3",
        )
        .bind(backend_id.to_string())
        .bind(provider.as_str())
        .bind(token)
        .execute(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn deregister_push_device(&self, backend_id: Uuid, device_id: &str) -> StoreResult<u64> {
        let done =
            sqlx::query("DELETE FROM push_registrations WHERE backend_id = $1 AND device_id = $2")
                .bind(backend_id.to_string())
                .bind(device_id)
                .execute(&mut *self.writer.connection().await?)
                .await
                .map_err(store_error)?;
        Ok(done.rows_affected())
    }

    async fn list_push_registrations(
        &self,
        backend_id: Uuid,
        search: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<PushRegistration>> {
        let filter = |builder: &mut QueryBuilder<Sqlite>| {
            builder.push(" WHERE backend_id = ");
            builder.push_bind(backend_id.to_string());
            if let Some(search) = search.filter(|text| !text.is_empty()) {
                let pattern = format!("%{}%", escape_like(search));
                for (position, column) in ["device_id", "user_id", "token"].into_iter().enumerate()
                {
                    builder.push(if position == 0 { " AND (" } else { " OR " });
                    builder.push(column);
                    builder.push(" LIKE ");
                    builder.push_bind(pattern.clone());
                    builder.push(" ESCAPE '\\'");
                }
                builder.push(")");
            }
        };
        let mut select = QueryBuilder::<Sqlite>::new(REGISTRATION_SELECT);
        filter(&mut select);
        select.push(" ORDER BY seq DESC");
        crate::paging::push_page(&mut select, page.limit, page.offset);
        let rows = select
            .build()
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        let (rows, has_more) = split_page(rows, page);
        let total = if page.with_total {
            let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM push_registrations");
            filter(&mut count);
            let total: i64 = count
                .build_query_scalar()
                .fetch_one(&self.reader)
                .await
                .map_err(store_error)?;
            Some(u64::try_from(total).unwrap_or(0))
        } else {
            None
        };
        Ok(Page {
            items: rows
                .iter()
                .map(registration_from_row)
                .collect::<StoreResult<_>>()?,
            has_more,
            total,
        })
    }

    async fn push_registration(
        &self,
        backend_id: Uuid,
        provider: PushProvider,
        token: &str,
    ) -> StoreResult<Option<PushRegistration>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{REGISTRATION_SELECT} WHERE backend_id = $1 AND provider = $2 AND token = $3"
        )))
        .bind(backend_id.to_string())
        .bind(provider.as_str())
        .bind(token)
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?;
        row.map(|row| registration_from_row(&row)).transpose()
    }

    async fn insert_notification(&self, spec: &NewNotification) -> StoreResult<Notification> {
        let state = if spec.send_on.is_some_and(|at| at > spec.created_at) {
            NotificationState::Scheduled
        } else {
            NotificationState::Queued
        };
        let due_at = spec.send_on.unwrap_or(spec.created_at);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO push_notifications (backend_id, target, platform, provider, build_type, message, request, tag, send_on, due_at, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(spec.backend_id.to_string())
        .bind(to_json(&spec.target)?)
        .bind(spec.platform.map(PushPlatform::as_str))
        .bind(spec.provider.map(PushProvider::as_str))
        .bind(&spec.build_type)
        .bind(to_json(&spec.message)?)
        .bind(spec.request.to_string())
        .bind(&spec.tag)
        .bind(spec.send_on.map(Timestamp::as_millis))
        .bind(due_at.as_millis())
        .bind(state.as_str())
        .bind(spec.created_at.as_millis())
        .fetch_one(&mut *self.writer.connection().await?)
        .await
        .map_err(store_error)?;
        Ok(Notification {
            id,
            spec: spec.clone(),
            state,
            started_at: None,
            finished_at: None,
            expanded: false,
            total: 0,
            sent: 0,
            failed: 0,
            invalid: 0,
            error: None,
        })
    }

    async fn notification(&self, backend_id: Uuid, id: i64) -> StoreResult<Option<Notification>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{NOTIFICATION_SELECT} WHERE backend_id = $1 AND id = $2"
        )))
        .bind(backend_id.to_string())
        .bind(id)
        .fetch_optional(&self.reader)
        .await
        .map_err(store_error)?;
        row.map(|row| notification_from_row(&row)).transpose()
    }

    async fn list_notifications(
        &self,
        backend_id: Uuid,
        query: &NotificationQuery,
    ) -> StoreResult<(Vec<Notification>, bool)> {
        let mut builder = QueryBuilder::<Sqlite>::new(NOTIFICATION_SELECT);
        builder.push(" WHERE backend_id = ");
        builder.push_bind(backend_id.to_string());
        if let Some(part) = &query.tag_contains {
            builder.push(" AND instr(lower(tag), ");
            builder.push_bind(part.to_lowercase());
            builder.push(") > 0");
        }
        if let Some(tag) = &query.tag {
            builder.push(" AND tag = ");
            builder.push_bind(tag.clone());
        }
        match &query.states {
            None => {}
            Some(states) if states.is_empty() => {
                builder.push(" AND 1 = 0");
            }
            Some(states) => {
                builder.push(" AND state IN (");
                let mut separated = builder.separated(", ");
                for state in states {
                    separated.push_bind(state.as_str());
                }
                builder.push(")");
            }
        }
        if let Some(platform) = query.platform {
            builder.push(" AND platform = ");
            builder.push_bind(platform.as_str());
        }
        for (column, (from, to)) in [
            ("send_on", query.send_on),
            ("created_at", query.created_on),
            ("finished_at", query.processed_on),
        ] {
            if let Some(from) = from {
                builder.push(format!(" AND {column} >= "));
                builder.push_bind(from.as_millis());
            }
            if let Some(to) = to {
                builder.push(format!(" AND {column} <= "));
                builder.push_bind(to.as_millis());
            }
        }
        builder.push(" ORDER BY ");
        for (order, direction) in &query.order {
            let column = match order {
                NotificationOrder::Id => "id",
                NotificationOrder::Status => "state",
                NotificationOrder::Tag => "tag",
                NotificationOrder::Platform => "platform",
                NotificationOrder::SendOn => "send_on",
                NotificationOrder::CreatedOn => "created_at",
                NotificationOrder::ProcessedOn => "finished_at",
            };
            let direction = match direction {
                SortDirection::Ascending => "ASC",
                SortDirection::Descending => "DESC",
            };
            builder.push(format!("{column} {direction}, "));
        }
        builder.push("id ASC");
        crate::paging::push_page(&mut builder, query.limit, query.offset);
        let rows = builder
            .build()
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        let mut items = rows
            .iter()
            .map(notification_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let has_more = items.len() > query.limit as usize;
        items.truncate(query.limit as usize);
        Ok((items, has_more))
    }

    async fn cancel_notification(
        &self,
        backend_id: Uuid,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<Notification> {
        let mut writer = self.writer.connection().await?;
        let mut transaction = writer.begin().await.map_err(store_error)?;
        let state: Option<String> = sqlx::query_scalar(
            "SELECT state FROM push_notifications WHERE backend_id = $1 AND id = $2",
        )
        .bind(backend_id.to_string())
        .bind(id)
        .fetch_optional(&mut *transaction)
        .await
        .map_err(store_error)?;
        match state.as_deref() {
            None => return Err(StoreError::NotFound),
            Some("scheduled") => {}
            Some(_) => return Err(StoreError::VersionConflict),
        }
        sqlx::query(
            "UPDATE push_notifications SET state = 'cancelled', expanded = 1, finished_at = $3 WHERE backend_id = $1 AND id = $2",
        )
        .bind(backend_id.to_string())
        .bind(id)
        .bind(now.as_millis())
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{NOTIFICATION_SELECT} WHERE backend_id = $1 AND id = $2"
        )))
        .bind(backend_id.to_string())
        .bind(id)
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        notification_from_row(&row)
    }

    async fn expand_due_notification(
        &self,
        now: Timestamp,
        batch: u32,
    ) -> StoreResult<Option<(Uuid, i64, u64)>> {
        // Notifications not started yet go first, so a huge send that is still being expanded does
        // not hold back a small one that arrives meanwhile.
        let mut writer = self.writer.connection().await?;
        let mut transaction = writer.begin().await.map_err(store_error)?;
        let due = sqlx::query(
            "SELECT id, backend_id, target, platform, provider, build_type, cursor FROM push_notifications \
             WHERE expanded = 0 AND due_at <= $1 ORDER BY started_at IS NOT NULL, due_at, id LIMIT 1",
        )
        .bind(now.as_millis())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(store_error)?;
        let Some(due) = due else {
            return Ok(None);
        };
        let id: i64 = due.try_get("id").map_err(store_error)?;
        let backend_text: String = due.try_get("backend_id").map_err(store_error)?;
        let backend_id =
            Uuid::parse_str(&backend_text).map_err(|_| corrupt("backend id", &backend_text))?;
        let target: StoreResult<NotificationTarget> = from_json(&due, "target");
        let platform: Option<String> = due.try_get("platform").map_err(store_error)?;
        let provider: Option<String> = due.try_get("provider").map_err(store_error)?;
        let build_type: Option<String> = due.try_get("build_type").map_err(store_error)?;
        let cursor: i64 = due.try_get("cursor").map_err(store_error)?;

        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO push_deliveries (backend_id, notification_id, registration_seq, provider, token, gateway, status, attempts, next_attempt_at) \
             SELECT r.backend_id, ",
        );
        insert.push_bind(id);
        insert.push(", r.seq, r.provider, r.token, r.gateway, 'pending', 0, ");
        insert.push_bind(now.as_millis());
        insert.push(" FROM push_registrations r WHERE r.backend_id = ");
        insert.push_bind(backend_text.clone());
        insert.push(" AND r.invalid = 0 AND r.seq > ");
        insert.push_bind(cursor);
        if let Some(platform) = platform {
            insert.push(" AND r.platform = ");
            insert.push_bind(platform);
        }
        if let Some(provider) = provider {
            insert.push(" AND r.provider = ");
            insert.push_bind(provider);
        }
        if let Some(build_type) = build_type {
            insert.push(" AND r.build_type = ");
            insert.push_bind(build_type);
        }
        // A target that cannot be read any more (never accepted so) ends this notification with an
        // error instead of blocking every later one.
        if let Err(error) =
            target.and_then(|target| push_target(&mut insert, &target, &backend_text))
        {
            sqlx::query(
                "UPDATE push_notifications SET expanded = 1, state = 'error', finished_at = $3, error = $4 \
                 WHERE backend_id = $1 AND id = $2",
            )
            .bind(backend_text)
            .bind(id)
            .bind(now.as_millis())
            .bind(format!("The targets cannot be resolved: {error}"))
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
            transaction.commit().await.map_err(store_error)?;
            return Ok(Some((backend_id, id, 0)));
        }
        // Written out, not bound: see `paging::push_page`.
        insert.push(format_args!(" ORDER BY r.seq LIMIT {batch}"));
        insert.push(" ON CONFLICT DO NOTHING RETURNING registration_seq");
        let added: Vec<i64> = insert
            .build_query_scalar()
            .fetch_all(&mut *transaction)
            .await
            .map_err(store_error)?;
        let count = added.len() as u64;
        let new_cursor = added.iter().copied().max().unwrap_or(cursor);
        let expanded = count < u64::from(batch);
        sqlx::query(
            "UPDATE push_notifications SET cursor = $3, total = total + $4, expanded = $5, \
             state = 'sending', started_at = COALESCE(started_at, $6) WHERE backend_id = $1 AND id = $2",
        )
        .bind(&backend_text)
        .bind(id)
        .bind(new_cursor)
        .bind(count as i64)
        .bind(expanded)
        .bind(now.as_millis())
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        finish_settled(&mut transaction, &backend_text, id, now).await?;
        transaction.commit().await.map_err(store_error)?;
        Ok(Some((backend_id, id, count)))
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        // The limit written out, not bound: see `paging::push_page`.
        let sql = format!(
            "UPDATE push_deliveries SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE rowid IN (SELECT rowid FROM push_deliveries WHERE status = 'pending' AND next_attempt_at <= $3 \
             AND (lease_until IS NULL OR lease_until < $3) ORDER BY next_attempt_at LIMIT {limit}) \
             RETURNING backend_id, notification_id, registration_seq, provider, token, gateway, attempts"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(lease_until.as_millis())
            .bind(now.as_millis())
            .fetch_all(&mut *self.writer.connection().await?)
            .await
            .map_err(store_error)?;
        rows.iter().map(claimed_from_row).collect()
    }

    async fn settle_deliveries(
        &self,
        owner: &str,
        settled: &[SettledDelivery],
        now: Timestamp,
    ) -> StoreResult<u64> {
        use std::collections::BTreeMap;
        // Per notification: sent, failed, invalid, first error.
        let mut counts: BTreeMap<(Uuid, i64), (i64, i64, i64, Option<String>)> = BTreeMap::new();
        let mut recorded = 0;
        let mut writer = self.writer.connection().await?;
        let mut transaction = writer.begin().await.map_err(store_error)?;
        for item in settled {
            let delivery = &item.delivery;
            let backend_id = delivery.backend_id.to_string();
            let (status, next_at, reason) = match &item.result {
                DeliveryResult::Sent => ("sent", None, None),
                DeliveryResult::Retry { at, reason } => ("pending", Some(*at), Some(reason)),
                DeliveryResult::Failed { reason } => ("failed", None, Some(reason)),
                DeliveryResult::TokenInvalid { reason } => ("invalid", None, Some(reason)),
            };
            let done = sqlx::query(
                "UPDATE push_deliveries SET status = $5, next_attempt_at = COALESCE($6, next_attempt_at), \
                 last_error = $7, lease_owner = NULL, lease_until = NULL \
                 WHERE backend_id = $1 AND notification_id = $2 AND registration_seq = $3 \
                 AND status = 'pending' AND lease_owner = $4",
            )
            .bind(&backend_id)
            .bind(delivery.notification_id)
            .bind(delivery.registration_seq)
            .bind(owner)
            .bind(status)
            .bind(next_at.map(Timestamp::as_millis))
            .bind(reason)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
            if done.rows_affected() == 0 {
                continue;
            }
            recorded += 1;
            if matches!(item.result, DeliveryResult::TokenInvalid { .. }) {
                sqlx::query(
                    "UPDATE push_registrations SET invalid = 1 WHERE backend_id = $1 AND seq = $2 AND token = $3",
                )
                .bind(&backend_id)
                .bind(delivery.registration_seq)
                .bind(&delivery.token)
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
            }
            let entry = counts
                .entry((delivery.backend_id, delivery.notification_id))
                .or_default();
            match &item.result {
                DeliveryResult::Sent => entry.0 += 1,
                DeliveryResult::Failed { reason } => {
                    entry.1 += 1;
                    entry.3.get_or_insert_with(|| reason.clone());
                }
                DeliveryResult::TokenInvalid { reason } => {
                    entry.2 += 1;
                    entry.3.get_or_insert_with(|| reason.clone());
                }
                DeliveryResult::Retry { .. } => {}
            }
        }
        for ((backend_id, id), (sent, failed, invalid, error)) in counts {
            let backend_id = backend_id.to_string();
            sqlx::query(
                "UPDATE push_notifications SET sent = sent + $3, failed = failed + $4, invalid = invalid + $5, \
                 error = COALESCE(error, $6) WHERE backend_id = $1 AND id = $2",
            )
            .bind(&backend_id)
            .bind(id)
            .bind(sent)
            .bind(failed)
            .bind(invalid)
            .bind(error)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
            finish_settled(&mut transaction, &backend_id, id, now).await?;
        }
        transaction.commit().await.map_err(store_error)?;
        Ok(recorded)
    }
}

/// Marks the notification finished once it is fully expanded and every delivery is settled.
async fn finish_settled(
    transaction: &mut sqlx::SqliteConnection,
    backend_id: &str,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE push_notifications SET finished_at = $3, state = CASE WHEN failed + invalid = 0 THEN 'sent' \
         WHEN sent > 0 THEN 'warning' ELSE 'error' END \
         WHERE backend_id = $1 AND id = $2 AND state = 'sending' AND expanded = 1 AND sent + failed + invalid >= total",
    )
    .bind(backend_id)
    .bind(id)
    .bind(now.as_millis())
    .execute(&mut *transaction)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Appends the target's condition on registrations `r`. Lists are bound as one JSON array.
fn push_target(
    builder: &mut QueryBuilder<Sqlite>,
    target: &NotificationTarget,
    backend_id: &str,
) -> StoreResult<()> {
    let users_of = |builder: &mut QueryBuilder<Sqlite>,
                    push_users: &dyn Fn(&mut QueryBuilder<Sqlite>)| {
        builder.push(" AND (r.user_id IN (");
        push_users(builder);
        builder.push(") OR r.device_id IN (SELECT d.id FROM devices d WHERE d.backend_id = ");
        builder.push_bind(backend_id.to_owned());
        builder.push(" AND d.last_user_id IN (");
        push_users(builder);
        builder.push(")))");
    };
    match target {
        NotificationTarget::All => {}
        NotificationTarget::Devices { ids } => {
            builder.push(" AND r.device_id IN (SELECT value FROM json_each(");
            builder.push_bind(to_json(ids)?);
            builder.push("))");
        }
        NotificationTarget::Tokens { tokens } => {
            builder.push(" AND r.token IN (SELECT value FROM json_each(");
            builder.push_bind(to_json(tokens)?);
            builder.push("))");
        }
        NotificationTarget::Users { ids } => {
            let list = to_json(ids)?;
            users_of(builder, &|builder| {
                builder.push("SELECT value FROM json_each(");
                builder.push_bind(list.clone());
                builder.push(")");
            });
        }
        NotificationTarget::UserNames { names } => {
            let list = to_json(names)?;
            users_of(builder, &|builder| {
                builder.push("SELECT id FROM users WHERE backend_id = ");
                builder.push_bind(backend_id.to_owned());
                builder.push(" AND username IN (SELECT value FROM json_each(");
                builder.push_bind(list.clone());
                builder.push("))");
            });
        }
        NotificationTarget::UserQuery { query, binds } => {
            let criteria = berth_core::monaql::parse(query, binds, Scope::User)
                .map_err(|error| corrupt("user query", &error.message))?;
            users_of(builder, &|builder| {
                builder.push("SELECT id FROM users WHERE backend_id = ");
                builder.push_bind(backend_id.to_owned());
                builder.push(" AND ");
                push_criteria(builder, &criteria, &USER_COLUMNS);
            });
        }
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|error| StoreError::Internal(Box::new(error)))
}

fn from_json<T: serde::de::DeserializeOwned>(row: &SqliteRow, column: &str) -> StoreResult<T> {
    let text: String = row.try_get(column).map_err(store_error)?;
    serde_json::from_str(&text).map_err(|_| corrupt(column, &text))
}

fn parse_uuid(row: &SqliteRow, column: &str) -> StoreResult<Uuid> {
    let text: String = row.try_get(column).map_err(store_error)?;
    Uuid::parse_str(&text).map_err(|_| corrupt(column, &text))
}

fn optional_millis(row: &SqliteRow, column: &str) -> StoreResult<Option<Timestamp>> {
    let value: Option<i64> = row.try_get(column).map_err(store_error)?;
    Ok(value.map(Timestamp::from_millis))
}

fn parse_provider(text: &str) -> StoreResult<PushProvider> {
    PushProvider::parse(text).ok_or_else(|| corrupt("push provider", text))
}

fn parse_gateway(text: Option<String>) -> StoreResult<Option<ApnsGateway>> {
    text.map(|text| ApnsGateway::parse(&text).ok_or_else(|| corrupt("APNs gateway", &text)))
        .transpose()
}

fn config_from_row(row: &SqliteRow) -> StoreResult<StoredPushConfig> {
    Ok(StoredPushConfig {
        backend_id: parse_uuid(row, "backend_id")?,
        push_project_id: row.try_get("push_project_id").map_err(store_error)?,
        sealed_credentials: row.try_get("sealed_credentials").map_err(store_error)?,
        updated_at: Timestamp::from_millis(row.try_get("updated_at").map_err(store_error)?),
    })
}

fn registration_from_row(row: &SqliteRow) -> StoreResult<PushRegistration> {
    let provider: String = row.try_get("provider").map_err(store_error)?;
    let platform: String = row.try_get("platform").map_err(store_error)?;
    let invalid: i64 = row.try_get("invalid").map_err(store_error)?;
    Ok(PushRegistration {
        backend_id: parse_uuid(row, "backend_id")?,
        id: parse_uuid(row, "id")?,
        provider: parse_provider(&provider)?,
        platform: PushPlatform::parse(&platform).ok_or_else(|| corrupt("platform", &platform))?,
        token: row.try_get("token").map_err(store_error)?,
        device_id: row.try_get("device_id").map_err(store_error)?,
        user_id: row.try_get("user_id").map_err(store_error)?,
        build_type: row.try_get("build_type").map_err(store_error)?,
        gateway: parse_gateway(row.try_get("gateway").map_err(store_error)?)?,
        app_id: row.try_get("app_id").map_err(store_error)?,
        app_version: row.try_get("app_version").map_err(store_error)?,
        invalid: invalid != 0,
        created_at: Timestamp::from_millis(row.try_get("created_at").map_err(store_error)?),
        updated_at: Timestamp::from_millis(row.try_get("updated_at").map_err(store_error)?),
    })
}

fn notification_from_row(row: &SqliteRow) -> StoreResult<Notification> {
    let platform: Option<String> = row.try_get("platform").map_err(store_error)?;
    let provider: Option<String> = row.try_get("provider").map_err(store_error)?;
    let state: String = row.try_get("state").map_err(store_error)?;
    let request: String = row.try_get("request").map_err(store_error)?;
    let expanded: i64 = row.try_get("expanded").map_err(store_error)?;
    let count = |column: &str| -> StoreResult<u64> {
        let value: i64 = row.try_get(column).map_err(store_error)?;
        Ok(u64::try_from(value).unwrap_or(0))
    };
    Ok(Notification {
        id: row.try_get("id").map_err(store_error)?,
        spec: NewNotification {
            backend_id: parse_uuid(row, "backend_id")?,
            target: from_json(row, "target")?,
            platform: platform
                .map(|text| PushPlatform::parse(&text).ok_or_else(|| corrupt("platform", &text)))
                .transpose()?,
            provider: provider.map(|text| parse_provider(&text)).transpose()?,
            build_type: row.try_get("build_type").map_err(store_error)?,
            message: from_json(row, "message")?,
            request: serde_json::from_str(&request).map_err(|_| corrupt("request", &request))?,
            tag: row.try_get("tag").map_err(store_error)?,
            send_on: optional_millis(row, "send_on")?,
            created_at: Timestamp::from_millis(row.try_get("created_at").map_err(store_error)?),
        },
        state: NotificationState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
        started_at: optional_millis(row, "started_at")?,
        finished_at: optional_millis(row, "finished_at")?,
        expanded: expanded != 0,
        total: count("total")?,
        sent: count("sent")?,
        failed: count("failed")?,
        invalid: count("invalid")?,
        error: row.try_get("error").map_err(store_error)?,
    })
}

fn claimed_from_row(row: &SqliteRow) -> StoreResult<ClaimedDelivery> {
    let provider: String = row.try_get("provider").map_err(store_error)?;
    let attempts: i64 = row.try_get("attempts").map_err(store_error)?;
    Ok(ClaimedDelivery {
        backend_id: parse_uuid(row, "backend_id")?,
        notification_id: row.try_get("notification_id").map_err(store_error)?,
        registration_seq: row.try_get("registration_seq").map_err(store_error)?,
        provider: parse_provider(&provider)?,
        token: row.try_get("token").map_err(store_error)?,
        gateway: parse_gateway(row.try_get("gateway").map_err(store_error)?)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
    })
}
