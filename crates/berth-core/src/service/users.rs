//! App users of a backend: created by the management API or by registration, with an argon2 password
//! hash and free-form JSON properties.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::appdata::{User, check_password, check_properties, check_username, new_user_oid};
use crate::error::{Error, Result, StoreError};
use crate::monaql::{Property, SystemProperty};
use crate::page::{Page, PageRequest, SortDirection};
use crate::password::hash_password;
use crate::store::UserQuery;
use crate::timestamp::Timestamp;
use crate::validation::Problems;

use super::Berth;

/// How many of the newest records property-name listings look at (as the Monaca IDE did).
pub const PROPERTY_NAME_SAMPLE: u32 = 100;

/// What to change on a user; properties are merged into the existing ones.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub username: Option<String>,
    pub password: Option<String>,
    pub properties: Map<String, Value>,
}

/// Length rules of a backend (Monaca backend settings).
#[derive(Debug, Clone, Copy)]
pub struct CredentialRules {
    pub min_username_length: usize,
    pub min_password_length: usize,
}

impl Default for CredentialRules {
    fn default() -> Self {
        Self {
            min_username_length: 1,
            min_password_length: 1,
        }
    }
}

fn username_taken(username: &str) -> Error {
    Error::already_exists(
        "username",
        format!("The username \"{username}\" is already taken."),
    )
}

pub(super) fn user_not_found(field: &'static str, id: &str) -> Error {
    // A list parameter names which of its ids is unknown.
    let message = if field == "idList" {
        format!("User not found: {id}.")
    } else {
        "User not found.".to_owned()
    };
    Error::not_found(field, message)
}

impl Berth {
    pub async fn create_user(
        &self,
        backend_id: Uuid,
        username: &str,
        password: &str,
        properties: Map<String, Value>,
        rules: CredentialRules,
    ) -> Result<User> {
        let mut problems = Problems::new();
        check_username(
            "username",
            username,
            rules.min_username_length,
            &mut problems,
        );
        check_password(
            "password",
            password,
            rules.min_password_length,
            &mut problems,
        );
        check_properties("properties", &properties, &mut problems);
        problems.into_result()?;

        let now = Timestamp::now();
        let user = User {
            backend_id,
            id: new_user_oid(),
            username: username.to_owned(),
            password_hash: hash_password(password).await?,
            properties,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_user(&user).await.map_err(|e| match e {
            StoreError::AlreadyExists(_) => username_taken(username),
            other => other.into(),
        })?;
        Ok(user)
    }

    pub async fn user(&self, backend_id: Uuid, id: &str) -> Result<User> {
        self.store
            .user(backend_id, id)
            .await?
            .ok_or_else(|| user_not_found("_id", id))
    }

    /// The user with this username (the realm admin and Oracle APIs name users this way).
    pub async fn user_named(&self, backend_id: Uuid, username: &str) -> Result<User> {
        self.store
            .user_by_username(backend_id, username)
            .await?
            .ok_or_else(|| user_not_found("username", username))
    }

    pub async fn update_user(
        &self,
        backend_id: Uuid,
        id: &str,
        changes: UserChanges,
        rules: CredentialRules,
    ) -> Result<User> {
        let mut problems = Problems::new();
        if let Some(username) = &changes.username {
            check_username(
                "_username",
                username,
                rules.min_username_length,
                &mut problems,
            );
        }
        if let Some(password) = &changes.password {
            check_password(
                "_password",
                password,
                rules.min_password_length,
                &mut problems,
            );
        }
        check_properties("user", &changes.properties, &mut problems);
        problems.into_result()?;

        let mut user = self.user(backend_id, id).await?;
        if let Some(username) = changes.username {
            user.username = username;
        }
        if let Some(password) = changes.password {
            user.password_hash = hash_password(&password).await?;
        }
        user.properties.extend(changes.properties);
        let mut problems = Problems::new();
        check_properties("user", &user.properties, &mut problems);
        problems.into_result()?;
        user.updated_at = Timestamp::now().max(user.updated_at);
        self.store.update_user(&user).await.map_err(|e| match e {
            StoreError::AlreadyExists(_) => username_taken(&user.username),
            StoreError::NotFound => user_not_found("_id", id),
            other => other.into(),
        })?;
        Ok(user)
    }

    /// Deletes all the users or, when one does not exist, none.
    pub async fn delete_users(&self, backend_id: Uuid, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::invalid("idList", "Name at least one user id."));
        }
        match self.store.delete_users(backend_id, ids).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => {
                for id in ids {
                    if self.store.user(backend_id, id).await?.is_none() {
                        return Err(user_not_found("idList", id));
                    }
                }
                Err(user_not_found("idList", "(deleted meanwhile)"))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub async fn list_users(&self, backend_id: Uuid, query: &UserQuery) -> Result<Page<User>> {
        Ok(self.store.list_users(backend_id, query).await?)
    }

    /// Property names in use among the newest users, sorted.
    pub async fn user_property_names(&self, backend_id: Uuid) -> Result<Vec<String>> {
        let query = UserQuery {
            criteria: crate::monaql::Criteria::match_all(),
            name_filter: None,
            sort: vec![(
                Property::System(SystemProperty::CreatedAt),
                SortDirection::Descending,
            )],
            page: PageRequest {
                limit: PROPERTY_NAME_SAMPLE,
                offset: 0,
                with_total: false,
            },
        };
        let page = self.store.list_users(backend_id, &query).await?;
        Ok(sorted_names(page.items.iter().map(|user| &user.properties)))
    }
}

pub(super) fn sorted_names<'a>(
    records: impl Iterator<Item = &'a Map<String, Value>>,
) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> =
        records.flat_map(|record| record.keys()).collect();
    names.into_iter().cloned().collect()
}
