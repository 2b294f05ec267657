//! The syntax tree of a parsed expression.

/// A parsed expression.
///
/// The language has no operators: everything is a literal, a function call,
/// or member access on one of those.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer literal (64-bit, like the runtime).
    Int(i64),
    /// A literal with a `.` or an exponent (a double).
    Float(f64),
    /// A single-quoted string literal, with `''` already unescaped.
    Str(String),
    /// A function call. `name` is kept as written; lookup ignores case.
    Call {
        /// The function name as written.
        name: String,
        /// The argument expressions, in order.
        args: Vec<Expr>,
    },
    /// A base expression followed by one or more member or index accesses.
    ///
    /// Chains are kept flat so evaluating `a.b.c…` does not recurse per step.
    Access {
        /// The expression being accessed.
        base: Box<Expr>,
        /// The accessors, applied left to right.
        path: Vec<Accessor>,
    },
}

/// One step of member access.
#[derive(Debug, Clone, PartialEq)]
pub enum Accessor {
    /// `.name` or, with `null_safe`, `?.name`.
    Property {
        /// The property name as written.
        name: String,
        /// True for `?.`: a null base or a missing property gives null.
        null_safe: bool,
    },
    /// `[expr]` or, with `null_safe`, `?[expr]`.
    Index {
        /// The index or property-name expression.
        index: Box<Expr>,
        /// True for `?[`: a null base, a missing property or an index out of
        /// range gives null.
        null_safe: bool,
    },
}
