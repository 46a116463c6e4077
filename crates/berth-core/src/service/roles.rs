//! Roles of a mobile backend and the users holding them; collection permissions are granted to roles.

use uuid::Uuid;

use crate::error::{Error, Result, StoreError};
use crate::timestamp::Timestamp;
use crate::validation::Problems;

use super::backends::{backend_not_found, refuse_if_trashed};
use super::{Berth, PlatformCaller};

pub const ROLE_NAME_MAX: usize = 100;

pub(super) fn check_role_name(problems: &mut Problems, field: &str, name: &str) {
    if name.trim().is_empty() {
        problems.add(field, "A role name is required.");
        return;
    }
    problems.check_length(field, name, ROLE_NAME_MAX);
    if name.chars().any(|c| c.is_control() || c == '/') || name.trim() != name {
        problems.add(
            field,
            format!(
                "\"{name}\" is not a role name: no control characters, slashes, or spaces at either end."
            ),
        );
    }
}

fn role_not_found(backend_id: Uuid, name: &str) -> Error {
    Error::not_found(
        "role",
        format!("The mobile backend {backend_id} has no role \"{name}\"."),
    )
}

impl Berth {
    pub async fn roles(&self, backend_id: Uuid) -> Result<Vec<String>> {
        self.backend(backend_id).await?;
        Ok(self.store.roles(backend_id).await?)
    }

    pub async fn create_role(&self, backend_id: Uuid, name: &str) -> Result<()> {
        let mut problems = Problems::new();
        check_role_name(&mut problems, "name", name);
        problems.into_result()?;
        refuse_if_trashed(&self.backend(backend_id).await?)?;
        match self
            .store
            .insert_role(backend_id, name, Timestamp::now())
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::AlreadyExists(_)) => Err(Error::already_exists(
                "name",
                format!("The mobile backend {backend_id} already has a role \"{name}\"."),
            )),
            Err(StoreError::NotFound) => Err(backend_not_found(backend_id)),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn delete_role(&self, backend_id: Uuid, name: &str) -> Result<()> {
        refuse_if_trashed(&self.backend(backend_id).await?)?;
        match self.store.delete_role(backend_id, name).await {
            Err(StoreError::NotFound) => Err(role_not_found(backend_id, name)),
            other => Ok(other?),
        }
    }

    /// The roles of the user with this username.
    pub async fn user_roles(&self, backend_id: Uuid, username: &str) -> Result<Vec<String>> {
        let user_id = self.user_id_for_roles(backend_id, username).await?;
        Ok(self.store.user_roles(backend_id, &user_id).await?)
    }

    /// Gives the user with this username exactly `roles`, which must all exist in the backend.
    pub async fn set_user_roles(
        &self,
        backend_id: Uuid,
        username: &str,
        roles: &[String],
    ) -> Result<Vec<String>> {
        let mut problems = Problems::new();
        for (index, role) in roles.iter().enumerate() {
            check_role_name(&mut problems, &format!("[{index}]"), role);
        }
        problems.into_result()?;
        refuse_if_trashed(&self.backend(backend_id).await?)?;
        let user_id = self.user_id_for_roles(backend_id, username).await?;
        let known = self.store.roles(backend_id).await?;
        if let Some(unknown) = roles.iter().find(|role| !known.contains(role)) {
            return Err(role_not_found(backend_id, unknown));
        }
        match self.store.set_user_roles(backend_id, &user_id, roles).await {
            Ok(()) => Ok(self.store.user_roles(backend_id, &user_id).await?),
            // The user or a role went away meanwhile.
            Err(StoreError::NotFound) => Err(Error::Conflict(format!(
                "The user {username} or one of the roles was deleted meanwhile; try again."
            ))),
            Err(other) => Err(other.into()),
        }
    }

    /// The roles a platform caller holds in its backend, which storage permissions are checked
    /// against; anonymous callers hold none.
    pub async fn caller_roles(
        &self,
        backend_id: Uuid,
        caller: &PlatformCaller,
    ) -> Result<Vec<String>> {
        match caller {
            PlatformCaller::Anonymous => Ok(Vec::new()),
            PlatformCaller::User(user) => Ok(self.store.user_roles(backend_id, &user.id).await?),
        }
    }

    async fn user_id_for_roles(&self, backend_id: Uuid, username: &str) -> Result<String> {
        self.backend(backend_id).await?;
        self.store
            .user_by_username(backend_id, username)
            .await?
            .map(|user| user.id)
            .ok_or_else(|| {
                Error::not_found(
                    "username",
                    format!("The mobile backend {backend_id} has no user \"{username}\"."),
                )
            })
    }
}
