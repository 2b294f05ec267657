//! Policy documents: the tolerant tokenizer, typed policies, loading and `<base/>`
//! composition. Everything here is pure (no I/O) and never panics on any input.

pub mod ast;
pub mod compose;
pub mod load;
mod scan;
pub mod xml;
