//! Load-time errors: every problem in a policy document or the gateway configuration is
//! reported with the file, line and column it comes from, so users fix it before traffic
//! arrives instead of discovering it as a runtime 500.

use std::fmt;

/// One problem found while loading configuration or policies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {kind}")]
pub struct LoadError {
    /// The policy file (or `inline:<scope>` for inline XML, `config` for configuration).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
    /// What is wrong.
    pub kind: LoadErrorKind,
}

/// The kinds of load error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// The document is not even tolerant-XML.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// An element that is not a policy we know.
    #[error("unknown policy <{0}>")]
    UnknownPolicy(String),
    /// An attribute the policy does not define.
    #[error("unknown attribute {attribute:?} on <{element}>")]
    UnknownAttribute {
        /// The element carrying it.
        element: String,
        /// The attribute name.
        attribute: String,
    },
    /// A child element the parent does not define.
    #[error("unknown element <{element}> inside <{parent}>")]
    UnknownElement {
        /// The parent element.
        parent: String,
        /// The unexpected child.
        element: String,
    },
    /// A required attribute is absent.
    #[error("<{element}> requires attribute {attribute:?}")]
    MissingAttribute {
        /// The element.
        element: String,
        /// The missing attribute.
        attribute: String,
    },
    /// A required child element is absent.
    #[error("<{parent}> requires a <{element}> element")]
    MissingElement {
        /// The parent element.
        parent: String,
        /// The missing child.
        element: String,
    },
    /// An attribute or text value is not acceptable.
    #[error("invalid value for {what} of <{element}>: {message}")]
    InvalidValue {
        /// The element.
        element: String,
        /// The attribute name, or "text".
        what: String,
        /// Why.
        message: String,
    },
    /// A policy expression that does not parse or uses an unsupported member.
    #[error("expression: {0}")]
    Expression(String),
    /// A `{{name}}` reference to a named value that does not exist.
    #[error("unknown named value {{{{{0}}}}}")]
    UnknownNamedValue(String),
    /// An `include-fragment` naming a fragment that does not exist (or a cycle).
    #[error("fragment {0:?}: {1}")]
    Fragment(String, String),
    /// An APIM feature this gateway deliberately does not implement.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A policy placed in a section where APIM does not allow it.
    #[error("<{policy}> is not allowed in the {section} section")]
    Misplaced {
        /// The policy.
        policy: String,
        /// The section.
        section: String,
    },
    /// A problem with the gateway configuration itself.
    #[error("configuration: {0}")]
    Config(String),
    /// A policy file could not be read.
    #[error("cannot read file: {0}")]
    Io(String),
}

impl LoadError {
    /// An error that is not tied to a position (configuration, I/O).
    pub fn at_start(file: impl Into<String>, kind: LoadErrorKind) -> Self {
        Self {
            file: file.into(),
            line: 1,
            col: 1,
            kind,
        }
    }
}

/// Every error found in one load; loading reports all of them, not just the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

impl From<LoadError> for LoadErrors {
    fn from(e: LoadError) -> Self {
        Self(vec![e])
    }
}

/// Maps byte offsets of one source text to 1-based line and column.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `src`.
    pub fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { src, starts }
    }

    /// Line and column of `offset` (clamped to the text).
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.src.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        let col = self
            .src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (
            u32::try_from(line + 1).unwrap_or(u32::MAX),
            u32::try_from(col + 1).unwrap_or(u32::MAX),
        )
    }

    /// A [`LoadError`] at `offset` of `file`.
    pub fn error(&self, file: &str, offset: usize, kind: LoadErrorKind) -> LoadError {
        let (line, col) = self.position(offset);
        LoadError {
            file: file.to_owned(),
            line,
            col,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_chars() {
        let idx = LineIndex::new("ab\ncé\nx");
        assert_eq!(idx.position(0), (1, 1));
        assert_eq!(idx.position(3), (2, 1));
        assert_eq!(idx.position(6), (2, 3));
        assert_eq!(idx.position(7), (3, 1));
        assert_eq!(idx.position(999), (3, 2));
        // Inside a multi-byte char: never panics.
        assert_eq!(idx.position(5).0, 2);
    }

    #[test]
    fn display_names_file_line_col() {
        let e = LineIndex::new("a\nb").error("p.xml", 2, LoadErrorKind::UnknownPolicy("x".into()));
        assert_eq!(e.to_string(), "p.xml:2:1: unknown policy <x>");
        let e = LoadError::at_start("c", LoadErrorKind::UnknownNamedValue("k".into()));
        assert_eq!(e.to_string(), "c:1:1: unknown named value {{k}}");
    }
}
