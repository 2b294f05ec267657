//! Integration tests of the authority through its HTTP router (no socket): exact wire shapes,
//! every client-assertion variant real clients send, the AADSTS error table, and key rotation.
#![allow(clippy::unwrap_used)]

mod assertions;
mod errors;
mod federation;
mod fixture;
mod rotation;
mod tokens;
