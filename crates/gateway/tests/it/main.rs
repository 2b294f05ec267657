//! Integration tests: the policy corpus, load errors, every policy's behaviour through the
//! router, the error flow, validate-jwt, rate limits and quotas, and a real backend.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod corpus;
mod e2e;
mod fixture;
mod flow;
mod jwt;
mod limits;
mod load_errors;
mod policies;
