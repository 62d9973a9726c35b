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

// A request allocates many small short-lived buffers on several threads; mimalloc serves those
// with less locking than the system allocator. Declared here so that the binary, the tests and
// the benchmarks all run with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
