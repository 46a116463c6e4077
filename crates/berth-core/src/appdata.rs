//! App data of the Monaca surfaces: users, collections, items and per-item permissions.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::timestamp::Timestamp;
use crate::validation::Problems;

/// Largest user or item record (its properties serialised as JSON).
pub const MAX_RECORD_BYTES: usize = 500 * 1024;
pub const USERNAME_MAX: usize = 255;
pub const PASSWORD_MAX: usize = 80;
pub const COLLECTION_NAME_MAX: usize = 100;

static PROPERTY_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z][a-zA-Z0-9]*$").expect("valid regex"));
static COLLECTION_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z][a-zA-Z0-9_]*$").expect("valid regex"));

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub backend_id: Uuid,
    /// The user's oid (`_id`).
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub properties: Map<String, Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    /// The user as the Monaca APIs show it: system properties plus the requested (or all) properties.
    pub fn to_json(&self, property_names: Option<&[String]>) -> Value {
        let mut object = Map::new();
        object.insert("_id".into(), Value::from(self.id.clone()));
        object.insert("_username".into(), Value::from(self.username.clone()));
        object.insert(
            "_createdAt".into(),
            Value::from(self.created_at.as_millis()),
        );
        object.insert(
            "_updatedAt".into(),
            Value::from(self.updated_at.as_millis()),
        );
        object.extend(select_properties(&self.properties, property_names));
        Value::Object(object)
    }
}

pub fn new_user_oid() -> String {
    format!("u{}", Uuid::now_v7())
}

pub fn new_item_id() -> String {
    Uuid::now_v7().to_string()
}

/// One right of the per-item permission object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Access {
    pub read: bool,
    pub write: bool,
}

impl Access {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "" => Some(Self::default()),
            "r" => Some(Self {
                read: true,
                write: false,
            }),
            "w" => Some(Self {
                read: false,
                write: true,
            }),
            "rw" | "wr" => Some(Self {
                read: true,
                write: true,
            }),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match (self.read, self.write) {
            (false, false) => "",
            (true, false) => "r",
            (false, true) => "w",
            (true, true) => "rw",
        }
    }
}

/// `{"public": "r", "<user oid>": "rw"}`; the owner always has read and write, whatever it says.
pub type Permission = BTreeMap<String, Access>;

pub const PUBLIC: &str = "public";

pub fn permission_to_json(permission: &Permission) -> Value {
    Value::Object(
        permission
            .iter()
            .map(|(who, access)| (who.clone(), Value::from(access.as_str())))
            .collect(),
    )
}

/// Reads a permission object, reporting problems under `field`.
pub fn parse_permission(value: &Value, field: &str, problems: &mut Problems) -> Permission {
    let mut permission = Permission::new();
    let Some(object) = value.as_object() else {
        problems.add(
            field,
            "The permission must be an object such as {\"public\": \"r\"}.",
        );
        return permission;
    };
    for (who, access) in object {
        if who.is_empty() || who.len() > USERNAME_MAX {
            problems.add(field, "A permission key must be \"public\" or a user id.");
            continue;
        }
        match access.as_str().and_then(Access::parse) {
            Some(access) => {
                permission.insert(who.clone(), access);
            }
            None => problems.add(
                field,
                format!("The permission of \"{who}\" must be one of \"\", \"r\", \"w\", \"rw\"."),
            ),
        }
    }
    permission
}

#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub backend_id: Uuid,
    /// Internal id; stores use it to name the collection's table.
    pub id: Uuid,
    pub name: String,
    /// Whether the app API may insert items ("Allow JavaScript API to insert data").
    pub is_insertable: bool,
    /// Rights of "public" on new items: "", "r", "w" or "rw".
    pub default_public_permission: Access,
    /// Data properties kept in a database index, for fast filters and sorts on them.
    pub indexed_properties: Vec<String>,
    pub item_count: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Collection {
    /// The Monaca "collection definition" (`Collection.list`, `Collection.getConfig`).
    pub fn definition_json(&self) -> Value {
        serde_json::json!({
            "_id": self.name,
            "isInsertable": self.is_insertable,
            "defaultPublicPermission": self.default_public_permission.as_str(),
            "indexedProperties": self.indexed_properties,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub owner_user_oid: Option<String>,
    pub owner_device_oid: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub permission: Permission,
    pub data: Map<String, Value>,
}

impl Item {
    /// The item as the Monaca APIs show it: system properties plus the requested (or all) data.
    pub fn to_json(&self, property_names: Option<&[String]>, with_permission: bool) -> Value {
        let mut object = Map::new();
        object.insert("_id".into(), Value::from(self.id.clone()));
        if let Some(owner) = &self.owner_user_oid {
            object.insert("_ownerUserOid".into(), Value::from(owner.clone()));
        }
        if let Some(device) = &self.owner_device_oid {
            object.insert("_ownerDeviceOid".into(), Value::from(device.clone()));
        }
        object.insert(
            "_createdAt".into(),
            Value::from(self.created_at.as_millis()),
        );
        object.insert(
            "_updatedAt".into(),
            Value::from(self.updated_at.as_millis()),
        );
        if with_permission {
            object.insert("_permission".into(), permission_to_json(&self.permission));
        }
        object.extend(select_properties(&self.data, property_names));
        Value::Object(object)
    }
}

fn select_properties(all: &Map<String, Value>, names: Option<&[String]>) -> Map<String, Value> {
    match names {
        None => all.clone(),
        Some(names) => names
            .iter()
            .filter_map(|name| all.get(name).map(|value| (name.clone(), value.clone())))
            .collect(),
    }
}

/// Checks user-defined property keys (`^[a-zA-Z][a-zA-Z0-9]*$`) and the record size. Keys starting
/// with `_` are system properties and must have been removed by the caller.
pub fn check_properties(field: &str, properties: &Map<String, Value>, problems: &mut Problems) {
    for key in properties.keys() {
        if !PROPERTY_KEY.is_match(key) {
            problems.add(
                field,
                format!(
                    "The property name \"{key}\" must be a letter followed by letters or digits."
                ),
            );
        }
    }
    let size = Value::Object(properties.clone()).to_string().len();
    if size > MAX_RECORD_BYTES {
        problems.add(
            field,
            format!("The record is {size} bytes; at most 500 KB are allowed."),
        );
    }
}

/// Splits an object given by a client into its data properties and its `_`-prefixed system members.
pub fn split_system_members(
    object: &Map<String, Value>,
) -> (Map<String, Value>, Map<String, Value>) {
    object
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .partition(|(key, _)| !key.starts_with('_'))
}

pub fn check_collection_name(field: &str, name: &str, problems: &mut Problems) {
    if name.is_empty() {
        problems.add(field, "The collection name is required.");
        return;
    }
    problems.check_length(field, name, COLLECTION_NAME_MAX);
    if !COLLECTION_NAME.is_match(name) {
        problems.add(
            field,
            format!("The collection name \"{name}\" must be a letter followed by letters, digits or underscores."),
        );
    }
}

pub fn check_username(field: &str, username: &str, min_length: usize, problems: &mut Problems) {
    let length = username.chars().count();
    if username.chars().any(char::is_whitespace) {
        problems.add(field, "The username must not contain whitespace.");
    } else if length < min_length.max(1) {
        problems.add(
            field,
            format!(
                "The username must be at least {} characters long.",
                min_length.max(1)
            ),
        );
    } else if length > USERNAME_MAX {
        problems.add(
            field,
            format!("The username must be at most {USERNAME_MAX} characters long."),
        );
    }
}

pub fn check_password(field: &str, password: &str, min_length: usize, problems: &mut Problems) {
    let length = password.chars().count();
    if password.chars().any(char::is_whitespace) {
        problems.add(field, "The password must not contain whitespace.");
    } else if length < min_length.max(1) {
        problems.add(
            field,
            format!(
                "The password must be at least {} characters long.",
                min_length.max(1)
            ),
        );
    } else if length > PASSWORD_MAX {
        problems.add(
            field,
            format!("The password must be at most {PASSWORD_MAX} characters long."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_strings_round_trip() {
        for text in ["", "r", "w", "rw"] {
            assert_eq!(Access::parse(text).map(Access::as_str), Some(text));
        }
        assert_eq!(Access::parse("wr").map(Access::as_str), Some("rw"));
        assert!(Access::parse("x").is_none());
    }

    #[test]
    fn property_keys_and_sizes_are_checked() {
        let mut problems = Problems::new();
        let mut good = Map::new();
        good.insert("score".into(), Value::from(1));
        good.insert("a1".into(), Value::from("x"));
        check_properties("item", &good, &mut problems);
        assert!(problems.into_result().is_ok());

        for bad in ["1a", "a_b", "a-b", ""] {
            let mut problems = Problems::new();
            let mut map = Map::new();
            map.insert(bad.into(), Value::Null);
            check_properties("item", &map, &mut problems);
            assert!(problems.into_result().is_err(), "{bad}");
        }
        let mut problems = Problems::new();
        let mut big = Map::new();
        big.insert("blob".into(), Value::from("x".repeat(MAX_RECORD_BYTES)));
        check_properties("item", &big, &mut problems);
        assert!(problems.into_result().is_err());
    }
}
