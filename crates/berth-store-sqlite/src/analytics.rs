use async_trait::async_trait;
use berth_core::Timestamp;
use berth_core::store::{AnalyticsEvent, AnalyticsRepo, StoreResult};
use sqlx::Connection as _;
use sqlx::Row;
use uuid::Uuid;

use crate::SqliteStore;
use crate::error::store_error;

#[async_trait]
impl AnalyticsRepo for SqliteStore {
    async fn insert_events(&self, backend_id: Uuid, events: &[AnalyticsEvent]) -> StoreResult<()> {
        let mut writer = self.writer.connection().await?;
        let mut transaction = writer.begin().await.map_err(store_error)?;
        for event in events {
            sqlx::query(INSERT_EVENT)
                .bind(backend_id.to_string())
                .bind(&event.name)
                .bind(&event.event_type)
                .bind(event.timestamp.as_millis())
                .bind(&event.component)
                .bind(&event.session_id)
                .bind(&event.device_id)
                .bind(&event.user_id)
                .bind(serde_json::Value::Object(event.properties.clone()).to_string())
                .bind(event.received_on.as_millis())
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn events(
        &self,
        backend_id: Uuid,
        name: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<(Vec<AnalyticsEvent>, u64)> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM analytics_events WHERE backend_id = $1 AND ($2 IS NULL OR name = $2)",
        )
        .bind(backend_id.to_string())
        .bind(name)
        .fetch_one(&self.reader)
        .await
        .map_err(store_error)?;
        // Page numbers written out: see `paging::push_page`.
        let sql = format!(
            "SELECT name, event_type, happened_on, component, session_id, device_id, user_id, properties, received_on FROM analytics_events \
             WHERE backend_id = $1 AND ($2 IS NULL OR name = $2) ORDER BY seq LIMIT {limit} OFFSET {}",
            i64::try_from(offset).unwrap_or(i64::MAX)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(backend_id.to_string())
            .bind(name)
            .fetch_all(&self.reader)
            .await
            .map_err(store_error)?;
        let events = rows
            .iter()
            .map(|row| -> Result<AnalyticsEvent, sqlx::Error> {
                let properties: String = row.try_get("properties")?;
                Ok(AnalyticsEvent {
                    name: row.try_get("name")?,
                    event_type: row.try_get("event_type")?,
                    timestamp: Timestamp::from_millis(row.try_get("happened_on")?),
                    component: row.try_get("component")?,
                    session_id: row.try_get("session_id")?,
                    device_id: row.try_get("device_id")?,
                    user_id: row.try_get("user_id")?,
                    properties: serde_json::from_str(&properties)
                        .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
                    received_on: Timestamp::from_millis(row.try_get("received_on")?),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(store_error)?;
        Ok((events, u64::try_from(total).unwrap_or(0)))
    }
}

/// The next number per backend; the single writer connection makes MAX + 1 safe.
const INSERT_EVENT: &str = "INSERT INTO analytics_events (backend_id, seq, name, event_type, happened_on, component, session_id, device_id, user_id, properties, received_on) \
     SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
     FROM analytics_events WHERE backend_id = $1";
