//! Collections and their items, as the Monaca APIs see them.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::appdata::{
    Access, Collection, Item, PUBLIC, Permission, check_collection_name, check_properties,
    new_item_id,
};
use crate::error::{Error, Result, StoreError};
use crate::ids::new_row_id;
use crate::monaql::{Criteria, Property, Scope, SystemProperty, parse_property};
use crate::page::{Page, PageRequest, SortDirection};
use crate::store::ItemQuery;
use crate::timestamp::Timestamp;
use crate::validation::Problems;

use super::Berth;
use super::users::{PROPERTY_NAME_SAMPLE, sorted_names};

/// Most data properties one collection may keep indexed.
pub const MAX_INDEXED_PROPERTIES: usize = 16;

/// Collection settings; `None` keeps (or, on creation, defaults) a setting.
#[derive(Debug, Clone, Default)]
pub struct CollectionConfig {
    pub is_insertable: Option<bool>,
    pub default_public_permission: Option<Access>,
    pub indexed_properties: Option<Vec<String>>,
}

/// Who creates an item: its owner, if anyone is logged in, else the device.
#[derive(Debug, Clone, Default)]
pub struct ItemOwner {
    pub user_oid: Option<String>,
    pub device_oid: Option<String>,
}

fn collection_not_found(field: &'static str) -> Error {
    Error::not_found(field, "Collection not found.")
}

fn item_not_found(field: &'static str, id: &str) -> Error {
    // A list parameter names which of its ids is unknown.
    let message = if field == "idList" {
        format!("Item not found: {id}.")
    } else {
        "Item not found.".to_owned()
    };
    Error::not_found(field, message)
}

fn check_indexed_properties(properties: &[String], problems: &mut Problems) {
    if properties.len() > MAX_INDEXED_PROPERTIES {
        problems.add(
            "indexedProperties",
            format!("At most {MAX_INDEXED_PROPERTIES} properties of a collection can be indexed."),
        );
    }
    for name in properties {
        match parse_property(name, Scope::Item) {
            Ok(Property::Data(_)) => {}
            Ok(Property::System(_)) => problems.add(
                "indexedProperties",
                format!("{name} is a system property; system properties are always indexed."),
            ),
            Err(error) => problems.add("indexedProperties", error.message),
        }
    }
}

impl Berth {
    pub async fn create_collection(
        &self,
        backend_id: Uuid,
        name: &str,
        config: CollectionConfig,
    ) -> Result<Collection> {
        let mut problems = Problems::new();
        check_collection_name("_id", name, &mut problems);
        let mut indexed = config.indexed_properties.unwrap_or_default();
        indexed.dedup();
        check_indexed_properties(&indexed, &mut problems);
        problems.into_result()?;
        let now = Timestamp::now();
        let collection = Collection {
            backend_id,
            id: new_row_id(),
            name: name.to_owned(),
            is_insertable: config.is_insertable.unwrap_or(false),
            default_public_permission: config.default_public_permission.unwrap_or_default(),
            indexed_properties: indexed,
            item_count: 0,
            created_at: now,
            updated_at: now,
        };
        self.store
            .create_collection(&collection)
            .await
            .map_err(|e| match e {
                StoreError::AlreadyExists(_) => {
                    Error::already_exists("_id", "Collection already exists.")
                }
                other => other.into(),
            })?;
        Ok(collection)
    }

    /// The named collection; `field` is the request member that named it, for the error. Held in
    /// the metadata cache, so its `item_count` may be a moment old; item operations use only its
    /// identity and settings.
    pub async fn collection(
        &self,
        backend_id: Uuid,
        name: &str,
        field: &'static str,
    ) -> Result<Collection> {
        let cache_key = (backend_id, name.to_owned());
        if let Some(collection) = self.cache.collections.get(&cache_key) {
            return Ok(collection);
        }
        let start = self.cache.read_start();
        let collection = self.stored_collection(backend_id, name, field).await?;
        if self.cache.is_current(start) {
            self.cache.collections.put(cache_key, collection.clone());
        }
        Ok(collection)
    }

    /// The named collection as stored now (for read-modify-write).
    async fn stored_collection(
        &self,
        backend_id: Uuid,
        name: &str,
        field: &'static str,
    ) -> Result<Collection> {
        self.store
            .collection(backend_id, name)
            .await?
            .ok_or_else(|| collection_not_found(field))
    }

    pub async fn collections(&self, backend_id: Uuid) -> Result<Vec<Collection>> {
        Ok(self.store.collections(backend_id).await?)
    }

    pub async fn configure_collection(
        &self,
        backend_id: Uuid,
        name: &str,
        config: CollectionConfig,
    ) -> Result<Collection> {
        let mut collection = self.stored_collection(backend_id, name, "_id").await?;
        if let Some(mut indexed) = config.indexed_properties {
            indexed.dedup();
            let mut problems = Problems::new();
            check_indexed_properties(&indexed, &mut problems);
            problems.into_result()?;
            collection.indexed_properties = indexed;
        }
        if let Some(insertable) = config.is_insertable {
            collection.is_insertable = insertable;
        }
        if let Some(permission) = config.default_public_permission {
            collection.default_public_permission = permission;
        }
        collection.updated_at = Timestamp::now().max(collection.updated_at);
        let updated = self.store.update_collection(&collection).await;
        self.cache.forget_backend(backend_id);
        updated.map_err(|e| match e {
            StoreError::NotFound => collection_not_found("_id"),
            other => other.into(),
        })?;
        Ok(collection)
    }

    pub async fn drop_collection(&self, backend_id: Uuid, name: &str) -> Result<()> {
        let dropped = self.store.drop_collection(backend_id, name).await;
        self.cache.forget_backend(backend_id);
        dropped.map_err(|e| match e {
            StoreError::NotFound => collection_not_found("_id"),
            other => other.into(),
        })
    }

    /// Property names in use among the collection's newest items, sorted.
    pub async fn collection_property_names(&self, collection: &Collection) -> Result<Vec<String>> {
        let query = ItemQuery {
            criteria: Criteria::match_all(),
            sort: vec![(
                Property::System(SystemProperty::CreatedAt),
                SortDirection::Descending,
            )],
            page: PageRequest {
                limit: PROPERTY_NAME_SAMPLE,
                offset: 0,
                with_total: false,
            },
            access: None,
        };
        let page = self.store.list_items(collection, &query).await?;
        Ok(sorted_names(page.items.iter().map(|item| &item.data)))
    }

    /// Stores a new item. Without an explicit permission, "public" gets the collection's default.
    pub async fn create_item(
        &self,
        collection: &Collection,
        data: Map<String, Value>,
        permission: Option<Permission>,
        owner: ItemOwner,
    ) -> Result<Item> {
        let mut problems = Problems::new();
        check_properties("item", &data, &mut problems);
        problems.into_result()?;
        let permission = permission.unwrap_or_else(|| {
            let mut default = Permission::new();
            if collection.default_public_permission != Access::default() {
                default.insert(PUBLIC.to_owned(), collection.default_public_permission);
            }
            default
        });
        let now = Timestamp::now();
        let item = Item {
            id: new_item_id(),
            owner_user_oid: owner.user_oid,
            owner_device_oid: owner.device_oid,
            created_at: now,
            updated_at: now,
            permission,
            data,
        };
        self.store
            .insert_item(collection, &item)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => collection_not_found("collectionName"),
                other => other.into(),
            })?;
        Ok(item)
    }

    pub async fn item(
        &self,
        collection: &Collection,
        id: &str,
        field: &'static str,
    ) -> Result<Item> {
        self.store
            .item(collection, id)
            .await?
            .ok_or_else(|| item_not_found(field, id))
    }

    /// Merges `data` into the item (properties cannot be deleted, as in the Monaca IDE).
    pub async fn update_item(
        &self,
        collection: &Collection,
        id: &str,
        data: Map<String, Value>,
        field: &'static str,
    ) -> Result<Item> {
        let mut problems = Problems::new();
        check_properties("item", &data, &mut problems);
        problems.into_result()?;
        let mut item = self.item(collection, id, field).await?;
        item.data.extend(data);
        let mut problems = Problems::new();
        check_properties("item", &item.data, &mut problems);
        problems.into_result()?;
        item.updated_at = Timestamp::now().max(item.updated_at);
        self.store
            .update_item(collection, &item)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => item_not_found(field, id),
                other => other.into(),
            })?;
        Ok(item)
    }

    pub async fn set_item_permission(
        &self,
        collection: &Collection,
        id: &str,
        permission: &Permission,
        field: &'static str,
    ) -> Result<()> {
        self.store
            .set_item_permissions(collection, &[(id.to_owned(), permission.clone())])
            .await
            .map_err(|e| match e {
                StoreError::NotFound => item_not_found(field, id),
                other => other.into(),
            })
    }

    /// Deletes all the items or, when one does not exist, none.
    pub async fn delete_items(&self, collection: &Collection, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::invalid("idList", "Name at least one item id."));
        }
        match self.store.delete_items(collection, ids).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => {
                for id in ids {
                    if self.store.item(collection, id).await?.is_none() {
                        return Err(item_not_found("idList", id));
                    }
                }
                Err(collection_not_found("collectionName"))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub async fn list_items(
        &self,
        collection: &Collection,
        query: &ItemQuery,
    ) -> Result<Page<Item>> {
        self.store
            .list_items(collection, query)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => collection_not_found("collectionName"),
                other => other.into(),
            })
    }
}
