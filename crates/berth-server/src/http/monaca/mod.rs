//! The Monaca Backend surfaces: JSON-RPC 2.0 over HTTP POST. The Backend Management API lives under
//! `/manage/json-rpc/{backendId}`.

pub mod app;
pub mod jsonrpc;
pub mod manage;
pub mod origins;
pub mod params;
