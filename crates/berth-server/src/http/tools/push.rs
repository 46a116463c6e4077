//! A backend's push settings in the tools API (`/mobilebackends/{id}/notifications/profile`): the
//! same settings as the Monaca `Push.setConfig` / `Push.getConfig`, for operators of Oracle backends.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::parse_id;
use crate::http::AppState;
use crate::http::extract::{OracleJson, OraclePath};
use crate::http::oracle_error::{ErrorCode, OracleError};

pub async fn get(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Json<Value>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    match state.berth.push_config(id).await? {
        Some(config) => Ok(Json(crate::push::config_json(&config))),
        None => Err(OracleError::new(
            ErrorCode::NotFound,
            "The backend has no push settings yet; PUT them first.",
        )),
    }
}

/// Changes the settings (`apns` / `fcm`: absent = keep, `null` = remove) and answers with them.
pub async fn put(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    OracleJson(body): OracleJson<Map<String, Value>>,
) -> Result<Json<Value>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    let change = crate::push::config_change(&body)?;
    let config = state.berth.update_push_config(id, change).await?;
    Ok(Json(json!(crate::push::config_json(&config))))
}
