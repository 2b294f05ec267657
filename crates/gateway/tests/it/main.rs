//! Integration tests: the policy corpus, load errors, every policy's behaviour through the
//! router, the error flow, validate-jwt, rate limits and quotas, a real backend, the backend
//! client against a raw TCP one, APIM's error bytes on a real socket, and signing-key rotation /
//! authority outage against a loopback OpenID authority.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backend_client;
mod corpus;
mod e2e;
mod error_bodies;
mod fixture;
mod flow;
mod jwt;
mod limits;
mod load_errors;
mod net;
mod policies;
mod request_id;
mod rotation;
