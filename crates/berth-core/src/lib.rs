//! Berth's domain: mobile backends and their keys, validation rules, the storage traits every store
//! implements, and the use cases ("services") that every API surface and the CLI call.
//!
//! This crate knows neither HTTP nor SQL: handlers translate wire formats into these types, stores
//! translate them into queries.

pub mod appauth;
pub mod appdata;
pub mod backend;
pub mod error;
pub mod ids;
pub mod monaql;
pub mod page;
pub mod password;
pub mod precondition;
pub mod push;
pub mod sealed;
pub mod secret;
pub mod service;
pub mod storage;
pub mod store;
pub mod timestamp;
pub mod validation;

pub use error::{Error, FieldProblem, Result, StoreError};
pub use precondition::Precondition;
pub use service::Berth;
pub use store::Store;
pub use timestamp::Timestamp;
