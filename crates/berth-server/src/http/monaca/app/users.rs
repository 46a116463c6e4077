//! `User.*`, `Device.*` and `Mailer.sendMail` of the app API.

use berth_core::appdata::{check_properties, check_username};
use berth_core::validation::Problems;
use serde_json::Value;

use super::{Caller, pick};
use crate::http::monaca::jsonrpc::{RpcError, codes};
use crate::http::monaca::manage::ok;
use crate::http::monaca::params::Params;

pub async fn register(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let username = params.string("username")?;
    let password = params.string("password")?;
    let properties = params.optional_object("properties")?.unwrap_or_default();
    let logged_in = caller
        .berth
        .register(
            caller.backend.id,
            &caller.device_id,
            &username,
            &password,
            properties,
        )
        .await?;
    Ok(caller.logged_in(logged_in).await)
}

/// Whether a registration with this username and these properties would be accepted.
pub async fn validate(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let username = params.string("username")?;
    let properties = params.optional_object("properties")?.unwrap_or_default();
    let mut problems = Problems::new();
    check_username(
        "username",
        &username,
        caller.settings.min_username_length as usize,
        &mut problems,
    );
    check_properties("properties", &properties, &mut problems);
    problems.into_result()?;
    if caller
        .berth
        .store()
        .user_by_username(caller.backend.id, &username)
        .await
        .map_err(berth_core::Error::from)?
        .is_some()
    {
        return Err(RpcError::invalid_param(
            "username",
            format!("The username \"{username}\" is already taken."),
        ));
    }
    Ok(ok())
}

pub async fn unregister(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let user = caller.user()?;
    let password = params.string("password")?;
    caller.berth.unregister(user, &password).await?;
    Ok(ok())
}

pub async fn login(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let username = params.string("username")?;
    let password = params.string("password")?;
    let logged_in = caller
        .berth
        .login(
            caller.backend.id,
            &caller.device_id,
            caller.address,
            &username,
            &password,
        )
        .await?;
    Ok(caller.logged_in(logged_in).await)
}

pub async fn auto_login(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let token = params.optional_string("loginToken")?.unwrap_or_default();
    let logged_in = caller
        .berth
        .auto_login(caller.backend.id, &caller.device_id, &token)
        .await?;
    Ok(caller.logged_in(logged_in).await)
}

pub async fn logout(caller: &Caller<'_>) -> Result<Value, RpcError> {
    let Some((session, _)) = &caller.session else {
        return Err(RpcError::new(
            codes::USER_LOGIN_REQUIRED,
            "User login is required.",
        ));
    };
    caller.berth.logout(session).await?;
    Ok(ok())
}

pub async fn update_password(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let user = caller.user()?;
    let old = params.string("oldPassword")?;
    let new = params.string("newPassword")?;
    caller.berth.update_password(user, &old, &new).await?;
    Ok(ok())
}

pub async fn send_password_reset_token(
    caller: &Caller<'_>,
    params: Params,
) -> Result<Value, RpcError> {
    if caller.session.is_some() {
        return Err(
            RpcError::new(codes::OPERATION_INVALID, "Operation is invalid.").with_data(
                serde_json::json!({ "reason": "Log out before asking for a password reset." }),
            ),
        );
    }
    let username = params.string("username")?;
    let options = Params::new(params.optional_object("options")?.unwrap_or_default());
    let email_property = options
        .optional_string("emailPropertyName")?
        .unwrap_or_else(|| "_username".to_owned());
    let template = options
        .optional_string("templateName")?
        .unwrap_or_else(|| berth_core::appauth::PASSWORD_RESET_TEMPLATE.to_owned());
    caller
        .berth
        .send_password_reset_token(caller.backend.id, &username, &email_property, &template)
        .await?;
    Ok(ok())
}

pub async fn reset_password_and_login(
    caller: &Caller<'_>,
    params: Params,
) -> Result<Value, RpcError> {
    let username = params.string("username")?;
    let new_password = params.string("newPassword")?;
    let token = params.string("token")?;
    let logged_in = caller
        .berth
        .reset_password_and_login(
            caller.backend.id,
            &caller.device_id,
            &username,
            &new_password,
            &token,
        )
        .await?;
    Ok(caller.logged_in(logged_in).await)
}

pub async fn get_properties(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let user = caller.user()?;
    let names = params.optional_string_list("names", false)?;
    Ok(pick(&user.properties, names))
}

pub async fn save_properties(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let user = caller.user()?;
    let properties = params.object("properties")?;
    caller.berth.save_user_properties(user, properties).await?;
    Ok(ok())
}

pub async fn device_properties(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    let names = params.optional_string_list("names", false)?;
    let properties = caller
        .berth
        .device_properties(caller.backend.id, &caller.device_id)
        .await?;
    Ok(pick(&properties, names))
}

pub async fn save_device_properties(
    caller: &Caller<'_>,
    params: Params,
) -> Result<Value, RpcError> {
    let properties = params.object("properties")?;
    caller
        .berth
        .save_device_properties(caller.backend.id, &caller.device_id, properties)
        .await?;
    Ok(ok())
}

pub async fn send_mail(caller: &Caller<'_>, params: Params) -> Result<Value, RpcError> {
    caller.user()?;
    let user_oid = params.string("userOid")?;
    let template = params.string("templateName")?;
    let substitutions = params
        .optional_object("substituteParams")?
        .unwrap_or_default();
    let options = Params::new(params.optional_object("options")?.unwrap_or_default());
    let email_property = options
        .optional_string("emailPropertyName")?
        .unwrap_or_else(|| "_username".to_owned());
    caller
        .berth
        .send_mail_to_user(
            caller.backend.id,
            &user_oid,
            &template,
            &substitutions,
            &email_property,
        )
        .await
        .map_err(|error| match error {
            // Delivery failures are Mailer's INTERNAL ERROR, as the original answered.
            berth_core::Error::Store(berth_core::StoreError::Unavailable(source)) => {
                RpcError::internal().with_data(serde_json::json!({ "reason": source.to_string() }))
            }
            other => other.into(),
        })?;
    Ok(ok())
}
