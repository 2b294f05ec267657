//! .NET-compatible number printing and parsing.

mod custom;
pub(crate) mod digits;
pub(crate) mod double;
pub(crate) mod number;
pub(crate) mod parse;
