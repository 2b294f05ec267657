//! The workflow engine's integration tests, one binary: loading, the action catalogue, runAfter
//! status resolution, loops, the Http action, the HTTP surface, robustness, and complete
//! workflows from tests/data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod actions;
mod common;
mod http_action;
mod http_api;
mod load;
mod loops;
mod robustness;
mod smoke;
mod status;
mod workflows;
