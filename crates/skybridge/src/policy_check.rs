//! Checking API Management policy documents on their own, as a linter does (`skybridge policy
//! check`): the gateway crate's loader does the work; this module supplies what a document
//! checked alone cannot resolve and sorts the loader's errors into errors and warnings.
//!
//! A file outside a gateway may name `{{named values}}`, fragments and backends defined
//! elsewhere (the world, APIM). They get placeholders so the rest of the document is still
//! checked; each unresolved name is a warning, and so is any error reported at an element that
//! uses one, since the placeholder may be what it complains about. `strict` turns those
//! warnings into errors.

use std::collections::{BTreeSet, HashMap};

use skybridge_gateway::error::{LineIndex, LoadErrorKind};
use skybridge_gateway::gateway::compile::DEFAULT_AUTHORITY;
use skybridge_gateway::policy::load::{Session, Source};
use skybridge_gateway::policy::xml::{self, Element, Node};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The document would not load in a gateway.
    Error,
    /// The document could not be fully checked alone.
    Warning,
}

/// One problem, at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The file (its label).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters.
    pub col: u32,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {severity}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// What the check knows besides the files.
#[derive(Debug, Default)]
pub struct Options {
    /// Named values given by the user.
    pub named_values: HashMap<String, String>,
    /// Unresolved references are errors, not warnings.
    pub strict: bool,
}

/// What a pre-scan of one file found.
#[derive(Default)]
struct Scan {
    /// `{{name}}` references: name and byte offset of the `{{`.
    references: Vec<(String, usize)>,
    /// `backend-id` values and their offsets.
    backends: Vec<(String, usize)>,
    /// Byte offsets where an error may be caused by a placeholder.
    dependent: Vec<usize>,
    /// The root is `<fragment>`.
    fragment: bool,
}

/// Checks policy documents (`<policies>`) and fragments (`<fragment>`, id = file name without
/// `.xml`/`.fragment.xml`) together, so documents may include the fragments given with them.
pub fn check(files: &[Source], options: &Options) -> Vec<Finding> {
    let unresolved = |name: &str| !options.named_values.contains_key(name);
    let scans: Vec<Scan> = files.iter().map(|f| scan(&f.text, &unresolved)).collect();
    let mut findings = Vec::new();

    let mut named = options.named_values.clone();
    let mut backends = HashMap::new();
    let mut fragments = HashMap::new();
    let mut fragment_ids = Vec::new();
    for (file, scan) in files.iter().zip(&scans) {
        let idx = LineIndex::new(&file.text);
        let mut warned = BTreeSet::new();
        for (name, offset) in &scan.references {
            if unresolved(name) && warned.insert(name.clone()) {
                findings.push(at(
                    &idx,
                    file,
                    *offset,
                    unresolved_severity(options),
                    format!(
                        "named value {{{{{name}}}}} is not defined here; checked with a placeholder \
                         (give it with --named-value {name}=VALUE)"
                    ),
                ));
            }
            named
                .entry(name.clone())
                .or_insert_with(|| format!("https://named-value.invalid/{name}"));
        }
        for (id, offset) in &scan.backends {
            findings.push(at(
                &idx,
                file,
                *offset,
                unresolved_severity(options),
                format!("backend {id:?} is defined by the gateway, not here; not checked"),
            ));
            backends
                .entry(id.clone())
                .or_insert_with(|| format!("https://backend.invalid/{id}"));
        }
        if scan.fragment {
            let id = fragment_id(&file.label);
            if fragments.insert(id.clone(), file.clone()).is_some() {
                findings.push(at(
                    &idx,
                    file,
                    0,
                    Severity::Error,
                    format!("fragment id {id:?} is given by two files"),
                ));
            }
            fragment_ids.push(id);
        }
    }

    let session = Session::new(&named, &fragments, &backends, DEFAULT_AUTHORITY);
    for (file, scan) in files.iter().zip(&scans) {
        if !scan.fragment {
            session.document(file);
        }
    }
    for id in &fragment_ids {
        session.check_fragment(id);
    }
    for e in session.take_errors() {
        let missing_fragment =
            matches!(&e.kind, LoadErrorKind::Fragment(_, m) if m == "no such fragment");
        let placeholder = files.iter().zip(&scans).any(|(file, scan)| {
            file.label == e.file && {
                let idx = LineIndex::new(&file.text);
                scan.dependent
                    .iter()
                    .any(|o| idx.position(*o) == (e.line, e.col))
            }
        });
        let (severity, message) = if missing_fragment {
            (
                unresolved_severity(options),
                format!("{} (not among the files checked)", e.kind),
            )
        } else if placeholder {
            (
                unresolved_severity(options),
                format!(
                    "{} (may be due to a placeholder for an unresolved name)",
                    e.kind
                ),
            )
        } else {
            (Severity::Error, e.kind.to_string())
        };
        findings.push(Finding {
            severity,
            file: e.file,
            line: e.line,
            col: e.col,
            message,
        });
    }
    // File order as given, then position.
    let order = |f: &Finding| files.iter().position(|s| s.label == f.file);
    findings.sort_by(|a, b| {
        (order(a), a.line, a.col, a.severity).cmp(&(order(b), b.line, b.col, b.severity))
    });
    findings.dedup();
    findings
}

fn unresolved_severity(options: &Options) -> Severity {
    if options.strict {
        Severity::Error
    } else {
        Severity::Warning
    }
}

fn at(
    idx: &LineIndex<'_>,
    file: &Source,
    offset: usize,
    severity: Severity,
    message: String,
) -> Finding {
    let (line, col) = idx.position(offset);
    Finding {
        severity,
        file: file.label.clone(),
        line,
        col,
        message,
    }
}

/// `policies/rate.fragment.xml` → `rate`; `common.xml` → `common`.
fn fragment_id(label: &str) -> String {
    let name = std::path::Path::new(label)
        .file_name()
        .map_or_else(|| label.to_owned(), |n| n.to_string_lossy().into_owned());
    let name = name.strip_suffix(".xml").unwrap_or(&name);
    name.strip_suffix(".fragment").unwrap_or(name).to_owned()
}

/// `{{name}}` references as the loader recognises them (letters, digits, `.`, `-`, `_`).
fn references(text: &str, base: usize) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text
        .get(from..)
        .and_then(|r| r.find("{{"))
        .map(|s| s + from)
    {
        let after = start + 2;
        let Some(end) = text
            .get(after..)
            .and_then(|r| r.find("}}"))
            .map(|e| e + after)
        else {
            break;
        };
        let name = text.get(after..end).unwrap_or("").trim();
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            out.push((name.to_owned(), base + start));
        }
        from = end + 2;
    }
    out
}

fn scan(text: &str, unresolved: &dyn Fn(&str) -> bool) -> Scan {
    let mut s = Scan {
        references: references(text, 0),
        ..Scan::default()
    };
    // A document that does not parse gets its syntax error from the loader.
    if let Ok(root) = xml::parse_document(text) {
        s.fragment = root.name == "fragment";
        walk(&root, unresolved, &mut s);
    }
    s.dependent.extend(
        s.references
            .iter()
            .filter(|(n, _)| unresolved(n))
            .map(|(_, o)| *o),
    );
    s
}

/// Marks every position of an element that uses an unresolved `{{name}}` (the loader reports
/// value problems at the element, the attribute or the value), and collects `backend-id`s.
fn walk(el: &Element, unresolved: &dyn Fn(&str) -> bool, s: &mut Scan) {
    let uses = |v: &str| v.contains("{{") && references(v, 0).iter().any(|(n, _)| unresolved(n));
    let direct = el.attrs.iter().any(|a| uses(&a.value)) || el.texts().any(|t| uses(&t.value));
    if direct {
        s.dependent.push(el.offset);
        for a in &el.attrs {
            s.dependent.extend([a.offset, a.value_offset]);
        }
        s.dependent.extend(el.texts().map(|t| t.offset));
    }
    if el.name == "set-backend-service" {
        for a in el.attrs.iter().filter(|a| a.name == "backend-id") {
            s.backends.push((a.value.clone(), a.value_offset));
        }
    }
    for child in &el.children {
        if let Node::Element(e) = child {
            walk(e, unresolved, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(label: &str, text: &str) -> Source {
        Source {
            label: label.into(),
            text: text.into(),
        }
    }

    fn errors(f: &[Finding]) -> Vec<&Finding> {
        f.iter().filter(|f| f.severity == Severity::Error).collect()
    }

    #[test]
    fn a_good_document_has_no_findings() {
        let f = check(
            &[src(
                "p.xml",
                "<policies><inbound><base /><set-header name=\"x\" exists-action=\"override\"><value>@(context.Request.Method)</value></set-header></inbound></policies>",
            )],
            &Options::default(),
        );
        assert_eq!(f, vec![]);
    }

    #[test]
    fn errors_carry_positions() {
        let f = check(
            &[src(
                "p.xml",
                "<policies>\n  <inbound>\n    <no-such-policy />\n    <set-header name=\"x\" bogus=\"1\" />\n  </inbound>\n</policies>",
            )],
            &Options::default(),
        );
        let e = errors(&f);
        assert_eq!(e.len(), 2, "{f:?}");
        assert_eq!((e[0].line, e[0].col), (3, 5));
        assert!(e[0].message.contains("no-such-policy"));
        assert_eq!(e[1].line, 4);
        assert!(e[1].to_string().starts_with("p.xml:4:"));
    }

    #[test]
    fn unresolved_names_are_warnings_unless_strict() {
        let doc = src(
            "p.xml",
            "<policies><inbound><validate-jwt header-name=\"Authorization\"><openid-config url=\"{{authority}}/t/v2.0/.well-known/openid-configuration\" /></validate-jwt><include-fragment fragment-id=\"elsewhere\" /><rate-limit-by-key calls=\"{{calls}}\" renewal-period=\"60\" counter-key=\"k\" /></inbound></policies>",
        );
        let f = check(std::slice::from_ref(&doc), &Options::default());
        assert!(errors(&f).is_empty(), "{f:?}");
        assert!(f.iter().any(|f| f.message.contains("{{authority}}")));
        assert!(f.iter().any(|f| f.message.contains("elsewhere")));
        let strict = Options {
            strict: true,
            ..Options::default()
        };
        assert!(!errors(&check(std::slice::from_ref(&doc), &strict)).is_empty());
        let given = Options {
            named_values: [
                ("authority".to_owned(), "https://login.example".to_owned()),
                ("calls".to_owned(), "ten".to_owned()),
            ]
            .into(),
            strict: false,
        };
        // A given value is used as is: "ten" is not an integer.
        let f = check(&[doc], &given);
        assert_eq!(errors(&f).len(), 1, "{f:?}");
        assert!(errors(&f)[0].message.contains("calls"));
    }

    #[test]
    fn fragments_given_together_resolve_and_are_checked() {
        let doc = src(
            "p.xml",
            "<policies><inbound><include-fragment fragment-id=\"common\" /></inbound></policies>",
        );
        let good = src(
            "dir/common.fragment.xml",
            "<fragment><set-variable name=\"a\" value=\"1\" /></fragment>",
        );
        assert_eq!(check(&[doc.clone(), good], &Options::default()), vec![]);
        let bad = src(
            "dir/common.xml",
            "<fragment>\n<set-variable name=\"a\" /></fragment>",
        );
        let f = check(&[doc, bad], &Options::default());
        assert!(
            errors(&f)
                .iter()
                .any(|e| e.file == "dir/common.xml" && e.line == 2),
            "{f:?}"
        );
    }

    #[test]
    fn broken_input_never_panics() {
        for text in [
            "",
            "<",
            "<policies>",
            "{{",
            "{{a}",
            "<fragment>{{ x }}</fragment>",
            "\u{feff}<x/>",
        ] {
            let f = check(&[src("x.xml", text)], &Options::default());
            assert!(!f.is_empty() || text.contains("fragment"), "{text:?}");
        }
    }
}
