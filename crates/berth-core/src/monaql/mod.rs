//! TEMPORARY STUB of the MonaQL API (replaced by the real parser on merge of branch `monaql`).
#![allow(dead_code, missing_docs)]

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Item,
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemProperty {
    Id,
    OwnerUserOid,
    OwnerDeviceOid,
    CreatedAt,
    UpdatedAt,
    Username,
}

impl SystemProperty {
    pub fn name(self) -> &'static str {
        match self {
            SystemProperty::Id => "_id",
            SystemProperty::OwnerUserOid => "_ownerUserOid",
            SystemProperty::OwnerDeviceOid => "_ownerDeviceOid",
            SystemProperty::CreatedAt => "_createdAt",
            SystemProperty::UpdatedAt => "_updatedAt",
            SystemProperty::Username => "_username",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Property {
    System(SystemProperty),
    Data(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {}

#[derive(Debug, Clone, PartialEq)]
pub struct Criteria;

impl Criteria {
    pub fn match_all() -> Self {
        Criteria
    }
    pub fn root(&self) -> Option<&Expr> {
        None
    }
    pub fn matches(&self, _document: &Map<String, Value>) -> bool {
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    Criteria,
    BindParams,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonaqlError {
    pub message: String,
    pub position: Option<usize>,
    pub source: ErrorSource,
}

pub fn parse(
    criteria: &str,
    _bind_params: &[Value],
    _scope: Scope,
) -> Result<Criteria, MonaqlError> {
    if criteria.trim().is_empty() {
        Ok(Criteria)
    } else {
        Err(MonaqlError {
            message: "stub".into(),
            position: None,
            source: ErrorSource::Criteria,
        })
    }
}

pub fn parse_property(name: &str, scope: Scope) -> Result<Property, MonaqlError> {
    let system = match (name, scope) {
        ("_id", _) | ("_oid", Scope::User) => Some(SystemProperty::Id),
        ("_createdAt", _) => Some(SystemProperty::CreatedAt),
        ("_updatedAt", _) => Some(SystemProperty::UpdatedAt),
        ("_ownerUserOid", Scope::Item) => Some(SystemProperty::OwnerUserOid),
        ("_ownerDeviceOid", Scope::Item) => Some(SystemProperty::OwnerDeviceOid),
        ("_username", Scope::User) => Some(SystemProperty::Username),
        _ => None,
    };
    match system {
        Some(p) => Ok(Property::System(p)),
        None if !name.starts_with('_') && !name.is_empty() => {
            Ok(Property::Data(name.split('.').map(str::to_owned).collect()))
        }
        None => Err(MonaqlError {
            message: format!("unknown property {name}"),
            position: None,
            source: ErrorSource::Criteria,
        }),
    }
}
