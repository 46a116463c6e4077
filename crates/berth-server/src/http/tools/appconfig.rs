//! App policies of a mobile backend (`/mobilebackends/{id}/appconfig`): the flat JSON object that
//! apps read at `GET /mobile/platform/appconfig/client`.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value};

use super::parse_id;
use crate::http::AppState;
use crate::http::extract::{OracleJson, OraclePath};
use crate::http::oracle_error::OracleError;

pub async fn get(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
) -> Result<Json<Map<String, Value>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    Ok(Json(state.berth.app_config(id).await?))
}

/// Replaces every policy of the backend and answers with what is now stored.
pub async fn put(
    State(state): State<AppState>,
    OraclePath(id): OraclePath<String>,
    OracleJson(policies): OracleJson<Map<String, Value>>,
) -> Result<Json<Map<String, Value>>, OracleError> {
    let id = parse_id(&id, "mobile backend")?;
    Ok(Json(state.berth.set_app_config(id, policies).await?))
}
