//! The app-facing Monaca API: `POST /json-rpc/{backendId}`, as the `monaca.cloud` SDK calls it.
//!
//! Transport quirks of the original are kept: every answer is HTTP 200 with a JSON body (the SDK
//! discards bodies of other statuses), the body is JSON whatever the content type says (jQuery sends
//! form-urlencoded), the reserved params `__api_key`, `__device` and `__session` ride in `params`, and
//! a new session id comes back in `X-Set-Monaca-Cloud-Session`.

mod collections;
mod users;

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use berth_core::Berth;
use berth_core::appauth::{AppSettings, Session};
use berth_core::appdata::User;
use berth_core::backend::Backend;
use berth_core::secret::secret_matches_hash;
use berth_core::service::{LoggedIn, check_device_id};
use berth_core::store::Principal;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use super::jsonrpc::{self, Call, Envelope, RpcError, codes};
use super::params::Params;
use crate::http::AppState;

pub const SESSION_HEADER: &str = "x-set-monaca-cloud-session";

/// Largest request body (an item may be 500 KB).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// One call's view of the caller.
pub struct Caller<'a> {
    pub berth: &'a Berth,
    pub backend: &'a Backend,
    pub settings: &'a AppSettings,
    pub device_id: String,
    pub address: IpAddr,
    pub session: Option<(Session, User)>,
    /// Set when the call logged someone in: the session id to hand back.
    pub new_session: &'a Mutex<Option<String>>,
}

impl Caller<'_> {
    pub fn principal(&self) -> Principal {
        Principal {
            user_oid: self.session.as_ref().map(|(_, user)| user.id.clone()),
            device_id: self.device_id.clone(),
        }
    }

    /// The logged-in user, or USER_LOGIN_REQUIRED.
    pub fn user(&self) -> Result<&User, RpcError> {
        self.session
            .as_ref()
            .map(|(_, user)| user)
            .ok_or_else(|| RpcError::new(codes::USER_LOGIN_REQUIRED, "User login is required."))
    }

    /// The answer to a login: `{user, loginToken}`, and the session id for the response header.
    pub async fn logged_in(&self, logged_in: LoggedIn) -> Value {
        *self.new_session.lock().await = Some(logged_in.session_id);
        let mut result = json!({ "user": logged_in.user.to_json(None) });
        if let Some(token) = logged_in.login_token {
            result["loginToken"] = Value::from(token);
        }
        result
    }
}

pub async fn handle(
    State(state): State<AppState>,
    Path(backend_id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let envelope = match body {
        Ok(body) => jsonrpc::parse_envelope(&body),
        Err(rejection) => Err(RpcError::invalid_request(&format!(
            "The request body could not be read: {}",
            rejection.body_text()
        ))),
    };
    let envelope = match envelope {
        Ok(envelope) => envelope,
        Err(error) => return answer(Some(jsonrpc::response(Value::Null, Err(error))), None),
    };
    let backend = match open_backend(&state.berth, &backend_id).await {
        Ok(backend) => backend,
        Err(error) => {
            let id = match &envelope {
                Envelope::Single(request) => jsonrpc::request_id(request),
                Envelope::Batch(_) => Value::Null,
            };
            return answer(Some(jsonrpc::response(id, Err(error))), None);
        }
    };
    let settings = match state.berth.app_settings(backend.id).await {
        Ok(settings) => settings,
        Err(error) => {
            return answer(
                Some(jsonrpc::response(Value::Null, Err(error.into()))),
                None,
            );
        }
    };
    let new_session = Mutex::new(None);
    let context = (&state.berth, &backend, &settings, peer.ip(), &new_session);
    let body = jsonrpc::run(envelope, |call| run_call(context, call)).await;
    let session = new_session.into_inner();
    answer(body, session)
}

fn answer(body: Option<Value>, session: Option<String>) -> Response {
    let mut response = match body {
        Some(body) => (StatusCode::OK, Json(body)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    if let Some(session) = session.and_then(|s| HeaderValue::from_str(&s).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(SESSION_HEADER), session);
    }
    response
}

async fn open_backend(berth: &Berth, backend_id: &str) -> Result<Backend, RpcError> {
    let Ok(id) = uuid::Uuid::parse_str(backend_id) else {
        return Err(RpcError::api_key_invalid());
    };
    match berth.backend(id).await {
        Ok(backend) if !backend.in_trash && !backend.inactive => Ok(backend),
        Ok(_) | Err(berth_core::Error::NotFound { .. }) => Err(RpcError::api_key_invalid()),
        Err(error) => Err(error.into()),
    }
}

type Context<'a> = (
    &'a Berth,
    &'a Backend,
    &'a AppSettings,
    IpAddr,
    &'a Mutex<Option<String>>,
);

/// Checks the reserved params, resolves the session, runs the method, and applies the backend's
/// PERMISSION_DENIED code.
async fn run_call(context: Context<'_>, call: Call) -> Result<Value, RpcError> {
    let (berth, backend, settings, address, new_session) = context;
    let mut params = call.params;
    let reserved: Map<String, Value> = {
        let keys: Vec<String> = params
            .keys()
            .filter(|k| k.starts_with("__"))
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|k| params.remove(&k).map(|v| (k, v)))
            .collect()
    };
    let text = |name: &str| {
        reserved
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };

    let api_key = text("__api_key");
    if api_key.is_empty() || !secret_matches_hash(&api_key, &backend.credentials.app_api_key_hash) {
        berth.refuse_key(backend.id, address).await?;
        return Err(RpcError::api_key_invalid());
    }
    let device_id = text("__device");
    if !check_device_id(&device_id) {
        return Err(RpcError::new(
            codes::DEVICE_ID_REQUIRED,
            "Device ID is required.",
        ));
    }
    let session_id = text("__session");
    let session = if session_id.is_empty() {
        None
    } else if !session_id.chars().all(|c| c.is_ascii_alphanumeric()) || session_id.len() > 128 {
        return Err(RpcError::new(
            codes::SESSION_ID_INVALID,
            "Session ID is invalid.",
        ));
    } else {
        berth.app_session(backend.id, &session_id, settings).await?
    };
    let caller = Caller {
        berth,
        backend,
        settings,
        device_id,
        address,
        session,
        new_session,
    };
    let outcome = dispatch(&caller, &call.method, Params::new(params)).await;
    outcome.map_err(|mut error| {
        if error.code == codes::PERMISSION_DENIED {
            error.code = settings.permission_denied_code;
        }
        error
    })
}

async fn dispatch(caller: &Caller<'_>, method: &str, params: Params) -> Result<Value, RpcError> {
    match method {
        "User.register" => users::register(caller, params).await,
        "User.validate" => users::validate(caller, params).await,
        "User.unregister" => users::unregister(caller, params).await,
        "User.login" => users::login(caller, params).await,
        "User.autoLogin" => users::auto_login(caller, params).await,
        "User.logout" => users::logout(caller).await,
        "User.isAuthenticated" => Ok(Value::from(caller.session.is_some())),
        "User.updatePassword" => users::update_password(caller, params).await,
        "User.sendPasswordResetToken" => users::send_password_reset_token(caller, params).await,
        "User.resetPasswordAndLogin" => users::reset_password_and_login(caller, params).await,
        "User.getProperties" => users::get_properties(caller, params).await,
        "User.saveProperties" => users::save_properties(caller, params).await,
        "Collection.find" => collections::find(caller, params).await,
        "Collection.insert" => collections::insert(caller, params).await,
        "Collection.update" => collections::update(caller, params).await,
        "Collection.delete" => collections::delete(caller, params).await,
        "Collection.getPermission" => collections::get_permission(caller, params).await,
        "Collection.updatePermission" => collections::update_permission(caller, params).await,
        "Device.getProperties" => users::device_properties(caller, params).await,
        "Device.saveProperties" => users::save_device_properties(caller, params).await,
        "Mailer.sendMail" => users::send_mail(caller, params).await,
        _ => Err(RpcError::method_not_found()),
    }
}

/// `properties` restricted to `names` (all when absent), as `getProperties` answers.
pub fn pick(properties: &Map<String, Value>, names: Option<Vec<String>>) -> Value {
    let picked: Map<String, Value> = match names {
        None => properties.clone(),
        Some(names) => names
            .into_iter()
            .filter_map(|name| properties.get(&name).map(|value| (name, value.clone())))
            .collect(),
    };
    json!({ "properties": picked })
}
