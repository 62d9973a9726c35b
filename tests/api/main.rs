//! Integration tests: the real service over real HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod inspections;

mod authorization;
mod certificates;
mod crash;
mod login;
mod norms;
mod operations;
mod register;
mod validation;
