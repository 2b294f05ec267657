//! Integration tests for skybridge-pki (one binary to keep link time down).

mod ca;
mod common;
mod garbage;
mod pem_keys;
mod pfx;
mod tls;
