//! Integration tests: published RFC vectors, interop with `jsonwebtoken`,
//! and the strictness rules from RFC 8725.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod api;
mod common;
mod interop;
mod strictness;
mod vectors;
