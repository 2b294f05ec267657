//! Error types.
//!
//! The `Display` texts follow the Logic Apps runtime's `InvalidTemplate`
//! messages where the research note or the docs give them, so users who know
//! the real product recognise them. Texts we could not confirm are written in
//! the same style.

use std::fmt;

/// The suffix the runtime appends to most expression errors.
const USAGE: &str = "Please see https://aka.ms/logicexpressions for usage details.";

/// A syntax error in an expression, with the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the expression text (the text after `@`, or inside `@{…}`).
    pub position: usize,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.position)
    }
}

impl std::error::Error for ParseError {}

/// Everything that can go wrong while parsing or evaluating an expression or
/// a template.
///
/// `expression` fields hold the text of the whole expression being evaluated
/// (without the leading `@`); they are filled in by the top-level evaluator,
/// so errors raised deep inside a function still name the full expression the
/// way the runtime does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprError {
    /// The expression text is not valid syntax.
    #[error("Unable to parse template language expression '{expression}': {message}")]
    Parse {
        /// The expression text.
        expression: String,
        /// Byte offset of the error in `expression`.
        position: usize,
        /// What was expected and what was found.
        message: String,
    },

    /// A template string has an `@{` without its closing `}` (or similar).
    #[error("The template '{template}' is not valid: {message}")]
    Template {
        /// The template string.
        template: String,
        /// What is wrong.
        message: String,
    },

    /// Property access with `.name` or `['name']` on an object without it.
    #[error(
        "The template language expression '{expression}' cannot be evaluated because property '{property}' doesn't exist, available properties are '{available}'. {USAGE}"
    )]
    PropertyNotFound {
        /// The expression text.
        expression: String,
        /// The missing property.
        property: String,
        /// The object's properties, comma-separated.
        available: String,
    },

    /// Property access on a value that has no properties (null, string, …).
    #[error(
        "The template language expression '{expression}' cannot be evaluated because property '{property}' cannot be selected. Property selection is not supported on values of type '{value_type}'. {USAGE}"
    )]
    PropertyNotSelectable {
        /// The expression text.
        expression: String,
        /// The property or index that was asked for.
        property: String,
        /// The runtime type name of the value (`Null`, `String`, …).
        value_type: String,
    },

    /// An array index outside the array.
    #[error(
        "The template language expression '{expression}' cannot be evaluated because array index '{index}' is outside bounds (0, {last}) of array. {USAGE}"
    )]
    IndexOutOfRange {
        /// The expression text.
        expression: String,
        /// The requested index.
        index: i64,
        /// The last valid index (-1 for an empty array).
        last: i64,
    },

    /// An array indexed with something other than an integer.
    #[error(
        "The template language expression '{expression}' cannot be evaluated because an array cannot be indexed with a value of type '{index_type}'. {USAGE}"
    )]
    BadIndex {
        /// The expression text.
        expression: String,
        /// The runtime type name of the index value.
        index_type: String,
    },

    /// A call to a function that does not exist.
    #[error("The template function '{name}' is not defined or not valid.")]
    UnknownFunction {
        /// The function name as written.
        name: String,
    },

    /// A function called with the wrong number of arguments.
    #[error(
        "The template language function '{function}' expects {expected}. The function was invoked with '{actual}' parameter(s). {USAGE}"
    )]
    Arity {
        /// The function name.
        function: String,
        /// A description such as `two parameters` or `at least one parameter`.
        expected: String,
        /// The number of arguments given.
        actual: usize,
    },

    /// A function argument of the wrong type.
    #[error(
        "The template language function '{function}' expects its {position} parameter to be {expected}. The provided value is of type '{actual}'. {USAGE}"
    )]
    ArgType {
        /// The function name.
        function: String,
        /// `first`, `second`, …
        position: String,
        /// A description such as `a string` or `an integer`.
        expected: String,
        /// The runtime type name of the value given.
        actual: String,
    },

    /// A function argument of the right type but an unusable value.
    #[error("The template language function '{function}' {message}")]
    InvalidArgument {
        /// The function name.
        function: String,
        /// The rest of the sentence, e.g. `was invoked with a parameter that is not valid. …`.
        message: String,
    },

    /// A workflow function referred to something the context does not have
    /// (an unknown parameter, variable, action, loop, …).
    #[error("The template language expression '{expression}' cannot be evaluated: {message}")]
    NotFound {
        /// The expression text.
        expression: String,
        /// What is missing, e.g. `The workflow parameter 'x' is not found.`.
        message: String,
    },

    /// An input or result went over a size or nesting limit.
    #[error("The template language expression '{expression}' exceeds a limit: {message}")]
    LimitExceeded {
        /// The expression text.
        expression: String,
        /// Which limit.
        message: String,
    },
}

impl ExprError {
    /// Fills the `expression` text into errors that carry one, unless it is
    /// already set (the innermost expression wins, as in the runtime).
    pub(crate) fn with_expression(mut self, text: &str) -> Self {
        match &mut self {
            ExprError::Parse { expression, .. }
            | ExprError::PropertyNotFound { expression, .. }
            | ExprError::PropertyNotSelectable { expression, .. }
            | ExprError::IndexOutOfRange { expression, .. }
            | ExprError::BadIndex { expression, .. }
            | ExprError::NotFound { expression, .. }
            | ExprError::LimitExceeded { expression, .. }
                if expression.is_empty() =>
            {
                *expression = text.to_owned();
            }
            _ => {}
        }
        self
    }

    /// Builds an [`ExprError::InvalidArgument`].
    pub(crate) fn invalid(function: &str, message: impl Into<String>) -> Self {
        ExprError::InvalidArgument {
            function: function.to_owned(),
            message: message.into(),
        }
    }

    /// Builds an [`ExprError::NotFound`]; the expression is filled in later.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        ExprError::NotFound {
            expression: String::new(),
            message: message.into(),
        }
    }

    /// Builds an [`ExprError::LimitExceeded`]; the expression is filled in later.
    pub(crate) fn limit(message: impl Into<String>) -> Self {
        ExprError::LimitExceeded {
            expression: String::new(),
            message: message.into(),
        }
    }

    /// The standard "cannot be converted" error some conversion functions
    /// raise (text from the runtime, see the research note §4).
    pub(crate) fn not_convertible(function: &str) -> Self {
        Self::invalid(
            function,
            "was invoked with a parameter that is not valid. The value cannot be converted to the target type.",
        )
    }
}

/// Ordinal words for argument positions in messages.
pub(crate) fn ordinal(index: usize) -> String {
    const WORDS: [&str; 10] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ];
    WORDS
        .get(index)
        .map(|w| (*w).to_owned())
        .unwrap_or_else(|| format!("{}th", index + 1))
}
