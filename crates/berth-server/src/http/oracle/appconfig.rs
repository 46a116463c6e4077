//! `GET /mobile/platform/appconfig/client`: the backend's app policies, for any caller of the
//! backend, anonymous included (the SDKs load them before anyone signs in).

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value};

use super::auth::Platform;
use crate::http::AppState;
use crate::http::oracle_error::OracleError;

pub async fn client(
    State(state): State<AppState>,
    platform: Platform,
) -> Result<Json<Map<String, Value>>, OracleError> {
    Ok(Json(state.berth.app_config(platform.backend.id).await?))
}
