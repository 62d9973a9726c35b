//! flexkeur: certification of housing for labour migrants under the SNF norm.
//!
//! Layers: `register`, `auth`, `norm`, `inspection` and `certificate` hold the domain; `db` the
//! storage on SQLite or PostgreSQL; `api` the HTTP handlers and `web` the pages for people;
//! `server` assembles them.

pub mod api;
pub mod audit;
pub mod auth;
pub mod certificate;
pub mod config;
pub mod db;
pub mod error;
pub mod inspection;
pub mod norm;
pub mod register;
pub mod server;
pub mod time;
pub mod web;
