//! The `berth` server: configuration, start-up, HTTP surfaces and the command line.

pub mod cli;
pub mod config;
pub mod connections;
pub mod http;
pub mod mail;
pub mod migrate;
pub mod push;
pub mod startup;
