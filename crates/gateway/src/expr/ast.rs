//! Syntax tree of policy expressions and `@{ … }` statement blocks.

/// A type named in a cast, `as`/`is`, a generic argument or a local declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeName {
    /// `string`
    String,
    /// `int`
    Int,
    /// `long`
    Long,
    /// `bool`
    Bool,
    /// `double` / `decimal` / `float`
    Double,
    /// `char`
    Char,
    /// `object` / `var` in a declaration
    Object,
    /// `Jwt`
    Jwt,
    /// `IResponse`
    IResponse,
    /// `JObject`
    JObject,
    /// `JArray`
    JArray,
    /// `JToken`
    JToken,
    /// `DateTime`
    DateTime,
    /// `TimeSpan`
    TimeSpan,
    /// `Guid`
    Guid,
    /// `string[]`
    StringArray,
    /// `byte[]`
    ByteArray,
}

impl TypeName {
    /// Parses a C# type keyword or name (without `[]`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "string" | "String" => Self::String,
            "int" | "Int32" => Self::Int,
            "long" | "Int64" => Self::Long,
            "bool" | "Boolean" => Self::Bool,
            "double" | "Double" | "decimal" | "float" => Self::Double,
            "char" | "Char" => Self::Char,
            "object" | "Object" => Self::Object,
            "Jwt" => Self::Jwt,
            "IResponse" => Self::IResponse,
            "JObject" => Self::JObject,
            "JArray" => Self::JArray,
            "JToken" => Self::JToken,
            "DateTime" => Self::DateTime,
            "TimeSpan" => Self::TimeSpan,
            "Guid" => Self::Guid,
            "byte" | "Byte" => Self::ByteArray,
            _ => return None,
        })
    }

    /// The array form (`string[]`, `byte[]`), if supported.
    pub fn array(self) -> Option<Self> {
        match self {
            Self::String => Some(Self::StringArray),
            Self::ByteArray => Some(Self::ByteArray),
            _ => None,
        }
    }
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Real.
    Double(f64),
    /// String.
    Str(String),
    /// Char.
    Char(char),
}

/// A part of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text.
    Lit(String),
    /// A hole with an optional format.
    Expr(Expr, Option<String>),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `!`
    Not,
    /// `-`
    Neg,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `??`
    Coalesce,
}

/// A call argument (`name: value` for named arguments).
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The parameter name of a named argument.
    pub name: Option<String>,
    /// The value.
    pub value: Expr,
}

/// An expression node with its source offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Byte offset in the policy document (or in the expression text, for standalone parses).
    pub offset: usize,
    /// Height of this subtree (a leaf is 1). The parser bounds it, which bounds the recursion
    /// of checking, evaluating and dropping the tree.
    pub depth: u32,
}

impl Expr {
    /// A node; its depth is computed from its (already built) children.
    pub fn new(kind: ExprKind, offset: usize) -> Self {
        let d = |e: &Expr| e.depth;
        let below = match &kind {
            ExprKind::Lit(_) | ExprKind::Name(_) => 0,
            ExprKind::Interp(parts) => parts
                .iter()
                .map(|p| match p {
                    Part::Expr(e, _) => d(e),
                    Part::Lit(_) => 0,
                })
                .max()
                .unwrap_or(0),
            ExprKind::Member { target, .. } => d(target),
            ExprKind::Index { target, index, .. } => d(target).max(d(index)),
            ExprKind::Call { target, args, .. } => {
                args.iter().map(|a| d(&a.value)).fold(d(target), u32::max)
            }
            ExprKind::Unary(_, e)
            | ExprKind::Cast(_, e)
            | ExprKind::As(e, _)
            | ExprKind::Is(e, _) => d(e),
            ExprKind::Binary(_, l, r) => d(l).max(d(r)),
            ExprKind::Cond(c, t, f) => d(c).max(d(t)).max(d(f)),
            ExprKind::Array(items) => items.iter().map(d).max().unwrap_or(0),
        };
        Self {
            kind,
            offset,
            depth: below.saturating_add(1),
        }
    }
}

/// Expression kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Lit(Lit),
    /// `$"…"`.
    Interp(Vec<Part>),
    /// An identifier: a local, `context`, or a static class.
    Name(String),
    /// `a.b` / `a?.b`.
    Member {
        /// Receiver.
        target: Box<Expr>,
        /// Member name.
        name: String,
        /// `?.`
        cond: bool,
    },
    /// `a[i]` / `a?[i]`.
    Index {
        /// Receiver.
        target: Box<Expr>,
        /// Index.
        index: Box<Expr>,
        /// `?[`
        cond: bool,
    },
    /// `a.m<T>(args)` / `a?.m(args)`.
    Call {
        /// Receiver.
        target: Box<Expr>,
        /// Method name.
        method: String,
        /// Generic argument.
        generic: Option<TypeName>,
        /// Arguments.
        args: Vec<Arg>,
        /// `?.`
        cond: bool,
    },
    /// `!a`, `-a`.
    Unary(UnOp, Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `c ? a : b`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `(T)a`.
    Cast(TypeName, Box<Expr>),
    /// `a as T`.
    As(Box<Expr>, TypeName),
    /// `a is T`.
    Is(Box<Expr>, TypeName),
    /// `new[] { … }` / `new T[] { … }`.
    Array(Vec<Expr>),
}

/// A statement of an `@{ … }` block.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `var x = e;` / `string x = e;`
    Decl {
        /// Local name.
        name: String,
        /// Declared type (`None` for `var`).
        ty: Option<TypeName>,
        /// Initializer.
        init: Expr,
        /// Offset of the name.
        offset: usize,
    },
    /// `x = e;`
    Assign {
        /// Local name.
        name: String,
        /// New value.
        value: Expr,
        /// Offset of the name.
        offset: usize,
    },
    /// `if (c) … else …`
    If {
        /// Condition.
        cond: Expr,
        /// Then branch.
        then: Vec<Stmt>,
        /// Else branch (empty when absent).
        els: Vec<Stmt>,
    },
    /// `return e;`
    Return(Expr),
    /// An expression evaluated for its effect (`context.Trace("x");`).
    Expr(Expr),
}

/// A parsed policy expression: `@( expr )` or `@{ statements }`.
#[derive(Debug, Clone, PartialEq)]
pub enum Code {
    /// A single expression.
    Expr(Expr),
    /// A statement block that returns a value.
    Block(Vec<Stmt>),
}
