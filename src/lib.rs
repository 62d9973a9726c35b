//! flexkeur
