//! API tests: each starts the real `berth` binary and speaks HTTP (or runs its CLI).

mod admin_token;
mod app;
mod assets;
mod backends;
mod cli;
mod console;
mod crash;
mod errors;
mod helpers;
mod hostile;
mod keys;
mod mail;
mod manage;
mod oracle;
mod oracle_analytics;
mod oracle_appconfig;
mod oracle_realm;
mod oracle_storage;
mod restart;
mod scale;
mod security;
