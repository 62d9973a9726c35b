//! flexkeur: certification of housing for labour migrants under the SNF norm.
//!
//! Layers: `register`, `auth` and (soon) `norm`, `inspection`, `certificate` hold the domain;
//! `db` the storage on SQLite or PostgreSQL; `api` the HTTP handlers; `server` assembles them.

pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod inspection;
pub mod norm;
pub mod register;
pub mod server;
pub mod time;
