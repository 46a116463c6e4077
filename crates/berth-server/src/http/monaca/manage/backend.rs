//! Berth's extensions of the Management API for what the Monaca IDE managed: the backend's app
//! settings (spec §11), mail templates, and the mail outbox.

use berth_core::appauth::MailTemplate;
use berth_core::monaql::Scope;
use serde_json::{Value, json};

use super::{Manage, list_result, listing, ok};
use crate::http::monaca::jsonrpc::RpcError;
use crate::http::monaca::params::Params;

pub async fn get_settings(context: &Manage<'_>) -> Result<Value, RpcError> {
    let settings = context.berth.app_settings(context.backend.id).await?;
    Ok(json!({ "settings": settings }))
}

pub async fn set_settings(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let changes = params.object("settings")?;
    let settings = context
        .berth
        .update_app_settings(context.backend.id, changes)
        .await?;
    Ok(json!({ "settings": settings }))
}

pub async fn list_templates(context: &Manage<'_>) -> Result<Value, RpcError> {
    let templates = context.berth.mail_templates(context.backend.id).await?;
    Ok(json!({ "items": templates }))
}

pub async fn set_template(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let template = MailTemplate {
        name: params.string("name")?,
        subject: params.string("subject")?,
        body: params.string("body")?,
    };
    context
        .berth
        .put_mail_template(context.backend.id, template)
        .await?;
    Ok(ok())
}

pub async fn delete_template(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let name = params.string("name")?;
    context
        .berth
        .delete_mail_template(context.backend.id, &name)
        .await?;
    Ok(ok())
}

pub async fn list_outbox(context: &Manage<'_>, params: Params) -> Result<Value, RpcError> {
    let listing = listing(&params, Scope::Item)?;
    let page = context
        .berth
        .mail_outbox(context.backend.id, &listing.page)
        .await?;
    let items = page
        .items
        .iter()
        .map(|mail| {
            json!({
                "_id": mail.id.to_string(),
                "to": mail.to,
                "subject": mail.subject,
                "body": mail.body,
                "templateName": mail.template,
                "status": mail.status.as_str(),
                "error": mail.error,
                "_createdAt": mail.created_at.as_millis(),
            })
        })
        .collect();
    Ok(list_result(items, page.total))
}
