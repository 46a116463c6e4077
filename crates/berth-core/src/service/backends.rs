//! Creating, changing, trashing and purging mobile backends.

mod counts;

pub use counts::BackendCounts;

use uuid::Uuid;

use crate::backend::{
    Backend, BackendChanges, BackendCredentials, BackendDraft, BackendQuery, DEFAULT_VERSION,
    RoleAccess, anonymous_key,
};
use crate::error::{Error, Result, StoreError};
use crate::ids::{new_opaque_id, new_row_id};
use crate::page::Page;
use crate::precondition::Precondition;
use crate::secret::{generate_token, hash_secret};
use crate::timestamp::Timestamp;
use crate::validation::{
    ACTION_COMMENT_MAX, ASSET_DESC_MAX, ASSET_TITLE_MAX, Problems, ROLE_NAME_MAX, check_asset_name,
    check_asset_version,
};

use super::{Berth, CreatedManagementKey};

/// A new backend with the secrets that are shown only now.
#[derive(Debug, Clone)]
pub struct CreatedBackend {
    pub backend: Backend,
    pub app_api_key: String,
    pub management_key: CreatedManagementKey,
}

/// How often a write that was not pinned to a version is retried when another writer got in first.
const UNPINNED_WRITE_ATTEMPTS: usize = 5;

impl Berth {
    pub async fn create_backend(&self, actor: &str, draft: BackendDraft) -> Result<CreatedBackend> {
        let version = draft
            .version
            .clone()
            .unwrap_or_else(|| DEFAULT_VERSION.to_owned());
        let mut problems = Problems::new();
        check_asset_name(&mut problems, &draft.name);
        check_asset_version(&mut problems, &version);
        check_descriptive_fields(
            &mut problems,
            draft.description.as_deref(),
            draft.title.as_deref(),
            draft.action_comment.as_deref(),
        );
        if let Some(access) = &draft.role_access {
            check_role_access(&mut problems, access);
        }
        problems.into_result()?;

        let now = Timestamp::now();
        let app_api_key = generate_token();
        let backend = Backend {
            id: new_row_id(),
            name: draft.name,
            version,
            description: draft.description,
            title: draft.title,
            action_comment: draft.action_comment,
            oauth_enabled: draft.oauth_enabled.unwrap_or(true),
            basic_auth_enabled: draft.basic_auth_enabled.unwrap_or(true),
            inactive: false,
            role_access: draft.role_access.unwrap_or_default(),
            analytics_app_guid: draft.analytics_app_guid,
            published: false,
            in_trash: false,
            revision: 1,
            created_on: now,
            created_by: actor.to_owned(),
            modified_on: now,
            modified_by: actor.to_owned(),
            deleted_on: None,
            deleted_by: None,
            credentials: BackendCredentials {
                client_id: new_opaque_id().to_string(),
                client_secret: generate_token(),
                basic_auth_backend_id: new_opaque_id(),
                anonymous_key: String::new(),
                app_api_key_hash: hash_secret(&app_api_key),
            },
        };
        let mut backend = backend;
        backend.credentials.anonymous_key = anonymous_key(&backend.name, &generate_token());

        self.store
            .insert_backend(&backend)
            .await
            .map_err(|e| name_clash_or(e, &backend.name, &backend.version))?;
        let management_key = self
            .create_management_key(actor, backend.id, Some("initial".to_owned()), None)
            .await?;
        Ok(CreatedBackend {
            backend,
            app_api_key,
            management_key,
        })
    }

    pub async fn backend(&self, id: Uuid) -> Result<Backend> {
        self.store
            .backend(id)
            .await?
            .ok_or_else(|| backend_not_found(id))
    }

    pub async fn list_backends(&self, query: &BackendQuery) -> Result<Page<Backend>> {
        Ok(self.store.list_backends(query).await?)
    }

    pub async fn update_backend(
        &self,
        actor: &str,
        id: Uuid,
        changes: BackendChanges,
        precondition: &Precondition,
    ) -> Result<Backend> {
        let mut problems = Problems::new();
        check_asset_name(&mut problems, &changes.name);
        if let Some(version) = &changes.version {
            check_asset_version(&mut problems, version);
        }
        check_descriptive_fields(
            &mut problems,
            changes.description.as_ref().and_then(Option::as_deref),
            changes.title.as_ref().and_then(Option::as_deref),
            changes.action_comment.as_ref().and_then(Option::as_deref),
        );
        if let Some(access) = &changes.role_access {
            check_role_access(&mut problems, access);
        }
        problems.into_result()?;

        self.modify_backend(actor, id, precondition, |backend| {
            refuse_if_trashed(backend)?;
            let changes = changes.clone();
            backend.name = changes.name;
            if let Some(version) = changes.version {
                backend.version = version;
            }
            if let Some(description) = changes.description {
                backend.description = description;
            }
            if let Some(title) = changes.title {
                backend.title = title;
            }
            if let Some(comment) = changes.action_comment {
                backend.action_comment = comment;
            }
            if let Some(oauth) = changes.oauth_enabled {
                backend.oauth_enabled = oauth;
            }
            if let Some(basic) = changes.basic_auth_enabled {
                backend.basic_auth_enabled = basic;
            }
            if let Some(inactive) = changes.inactive {
                backend.inactive = inactive;
            }
            if let Some(access) = changes.role_access {
                backend.role_access = access;
            }
            Ok(())
        })
        .await
    }

    /// Moves a backend to the trash: its credentials stop working, its data stays until purged.
    pub async fn trash_backend(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
        comment: Option<String>,
    ) -> Result<Backend> {
        self.modify_backend(actor, id, precondition, |backend| {
            refuse_if_trashed(backend)?;
            backend.in_trash = true;
            backend.deleted_on = Some(Timestamp::now());
            backend.deleted_by = Some(actor.to_owned());
            if comment.is_some() {
                backend.action_comment = comment.clone();
            }
            Ok(())
        })
        .await
    }

    pub async fn untrash_backend(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
        comment: Option<String>,
    ) -> Result<Backend> {
        self.modify_backend(actor, id, precondition, |backend| {
            if !backend.in_trash {
                return Err(Error::Conflict(format!(
                    "The backend {} ({}) is not in the trash.",
                    backend.name, backend.version
                )));
            }
            backend.in_trash = false;
            backend.deleted_on = None;
            backend.deleted_by = None;
            if comment.is_some() {
                backend.action_comment = comment.clone();
            }
            Ok(())
        })
        .await
    }

    /// Deletes a trashed backend and all of its data for good. Returns it as it was.
    pub async fn purge_backend(&self, id: Uuid, precondition: &Precondition) -> Result<Backend> {
        for _ in 0..UNPINNED_WRITE_ATTEMPTS {
            let backend = self.backend(id).await?;
            if !precondition.allows(backend.revision) {
                return Err(Error::PreconditionFailed {
                    current_version: backend.revision,
                });
            }
            if !backend.in_trash {
                return Err(Error::Conflict(format!(
                    "The backend {} ({}) must be moved to the trash before it can be purged.",
                    backend.name, backend.version
                )));
            }
            let deleted = self.store.delete_backend(id, backend.revision).await;
            self.cache.forget_backend(id);
            match deleted {
                Ok(()) => return Ok(backend),
                Err(StoreError::VersionConflict) if !precondition.is_specific() => continue,
                Err(StoreError::VersionConflict) => return Err(self.precondition_failed(id).await),
                Err(StoreError::NotFound) => return Err(backend_not_found(id)),
                Err(other) => return Err(other.into()),
            }
        }
        Err(busy(id))
    }

    /// Issues a new OAuth client secret; the old one stops working at once.
    pub async fn regenerate_client_secret(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
    ) -> Result<Backend> {
        let secret = generate_token();
        self.modify_backend(actor, id, precondition, |backend| {
            refuse_if_trashed(backend)?;
            backend.credentials.client_secret = secret.clone();
            Ok(())
        })
        .await
    }

    pub async fn regenerate_anonymous_key(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
    ) -> Result<Backend> {
        let secret = generate_token();
        self.modify_backend(actor, id, precondition, |backend| {
            refuse_if_trashed(backend)?;
            backend.credentials.anonymous_key = anonymous_key(&backend.name, &secret);
            Ok(())
        })
        .await
    }

    /// Issues a new Monaca app API key (`__api_key`) and returns it with the backend; only its digest
    /// is stored.
    pub async fn regenerate_app_api_key(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
    ) -> Result<(Backend, String)> {
        let key = generate_token();
        let key_hash = hash_secret(&key);
        let backend = self
            .modify_backend(actor, id, precondition, |backend| {
                refuse_if_trashed(backend)?;
                backend.credentials.app_api_key_hash = key_hash.clone();
                Ok(())
            })
            .await?;
        Ok((backend, key))
    }

    /// Reads, changes and conditionally writes a backend, bumping its revision. A write that was not
    /// pinned to a version is retried when another writer got in first; a pinned one fails with 412.
    async fn modify_backend(
        &self,
        actor: &str,
        id: Uuid,
        precondition: &Precondition,
        change: impl Fn(&mut Backend) -> Result<()>,
    ) -> Result<Backend> {
        for _ in 0..UNPINNED_WRITE_ATTEMPTS {
            let current = self.backend(id).await?;
            if !precondition.allows(current.revision) {
                return Err(Error::PreconditionFailed {
                    current_version: current.revision,
                });
            }
            let mut next = current.clone();
            change(&mut next)?;
            next.revision = current.revision + 1;
            next.modified_on = Timestamp::now().max(current.modified_on);
            next.modified_by = actor.to_owned();
            let replaced = self.store.replace_backend(&next, current.revision).await;
            self.cache.forget_backend(id);
            match replaced {
                Ok(()) => return Ok(next),
                Err(StoreError::VersionConflict) if !precondition.is_specific() => continue,
                Err(StoreError::VersionConflict) => return Err(self.precondition_failed(id).await),
                Err(StoreError::NotFound) => return Err(backend_not_found(id)),
                Err(error) => return Err(name_clash_or(error, &next.name, &next.version)),
            }
        }
        Err(busy(id))
    }

    async fn precondition_failed(&self, id: Uuid) -> Error {
        match self.backend(id).await {
            Ok(current) => Error::PreconditionFailed {
                current_version: current.revision,
            },
            Err(error) => error,
        }
    }
}

pub(super) fn backend_not_found(id: Uuid) -> Error {
    Error::not_found("id", format!("No mobile backend with id {id} exists."))
}

fn busy(id: Uuid) -> Error {
    Error::Conflict(format!(
        "The backend {id} is being changed by others at the same time; try again."
    ))
}

pub(super) fn refuse_if_trashed(backend: &Backend) -> Result<()> {
    if backend.in_trash {
        return Err(Error::Conflict(format!(
            "The backend {} ({}) is in the trash; restore it before changing it.",
            backend.name, backend.version
        )));
    }
    Ok(())
}

fn name_clash_or(error: StoreError, name: &str, version: &str) -> Error {
    match error {
        StoreError::AlreadyExists(_) => Error::already_exists(
            "name",
            format!("A mobile backend named {name} with version {version} already exists."),
        ),
        other => other.into(),
    }
}

pub(super) fn check_descriptive_fields(
    problems: &mut Problems,
    description: Option<&str>,
    title: Option<&str>,
    action_comment: Option<&str>,
) {
    if let Some(description) = description {
        problems.check_length("desc", description, ASSET_DESC_MAX);
    }
    if let Some(title) = title {
        problems.check_length("title", title, ASSET_TITLE_MAX);
    }
    if let Some(comment) = action_comment {
        problems.check_length("actionComment", comment, ACTION_COMMENT_MAX);
    }
}

fn check_role_access(problems: &mut Problems, access: &RoleAccess) {
    for role in &access.roles {
        if role.trim().is_empty() {
            problems.add("roleAccess.roles", "A role name must not be empty.");
        } else {
            problems.check_length("roleAccess.roles", role, ROLE_NAME_MAX);
        }
    }
}
