//! API tests: each starts the real `berth` binary and speaks HTTP (or runs its CLI).

mod admin_token;
mod app;
mod assets;
mod backends;
mod cli;
mod console;
mod console_push;
mod errors;
mod forwarded;
mod helpers;
mod keys;
mod mail;
mod manage;
mod migrate;
mod oracle;
mod oracle_analytics;
mod oracle_appconfig;
mod oracle_objects;
mod oracle_realm;
mod oracle_storage;
mod push_monaca;
mod push_oracle;
mod push_restart;
mod push_support;
mod restart;
mod scale;
