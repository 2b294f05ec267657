//! Reading attribute and text values: named-value substitution, literal vs expression,
//! typed literals, and the APIM rule that some attributes refuse expressions.

use super::{El, Loader};
use crate::error::{LoadError, LoadErrorKind};
use crate::expr::Expression;
use crate::policy::ast::Param;
use crate::policy::xml::{self, Element};

impl Loader<'_, '_> {
    /// Replaces `{{name}}` references; returns the text and whether anything changed.
    pub fn substitute(&self, raw: &str, offset: usize) -> Result<(String, bool), LoadError> {
        if !raw.contains("{{") {
            return Ok((raw.to_owned(), false));
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        let mut changed = false;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            let name = after[..end].trim();
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            out.push_str(&rest[..start]);
            if valid {
                let value = self.session.named.get(name).ok_or_else(|| {
                    self.error(
                        offset + (raw.len() - rest.len()) + start,
                        LoadErrorKind::UnknownNamedValue(name.into()),
                    )
                })?;
                out.push_str(value);
                changed = true;
            } else {
                out.push_str(&rest[start..start + 2 + end + 2]);
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok((out, changed))
    }

    /// Compiles an expression found at `offset`.
    pub fn compile(
        &self,
        value: &str,
        offset: usize,
        exact: bool,
    ) -> Result<Expression, LoadError> {
        Expression::compile(value, offset).map_err(|e| {
            // After named-value substitution, offsets inside the value no longer match the file.
            let at = if exact { e.offset } else { offset };
            self.error(at, LoadErrorKind::Expression(e.message))
        })
    }

    /// A string value that may be an expression.
    pub fn param_raw(&self, raw: &str, offset: usize) -> Result<Param<String>, LoadError> {
        let (value, changed) = self.substitute(raw, offset)?;
        if xml::is_expression(&value) {
            Ok(Param::Expr(self.compile(&value, offset, !changed)?))
        } else {
            Ok(Param::Const(value))
        }
    }

    /// A string attribute that may be an expression.
    pub fn param(&self, el: &El<'_>, name: &str) -> Result<Option<Param<String>>, LoadError> {
        el.attr(name)
            .map(|a| self.param_raw(&a.value, a.value_offset))
            .transpose()
    }

    /// A required string attribute that may be an expression.
    pub fn req_param(&self, el: &El<'_>, name: &str) -> Result<Param<String>, LoadError> {
        self.param(el, name)?.ok_or_else(|| self.missing(el, name))
    }

    /// A typed attribute that may be an expression; literals are parsed now.
    pub fn param_typed<T>(
        &self,
        el: &El<'_>,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<Option<Param<T>>, LoadError> {
        let Some(a) = el.attr(name) else {
            return Ok(None);
        };
        match self.param_raw(&a.value, a.value_offset)? {
            Param::Expr(e) => Ok(Some(Param::Expr(e))),
            Param::Const(s) => parse(s.trim())
                .map(|v| Some(Param::Const(v)))
                .ok_or_else(|| {
                    self.invalid(
                        el,
                        a.value_offset,
                        name,
                        format!("expected {expected}, found {s:?}"),
                    )
                }),
        }
    }

    /// An integer attribute that may be an expression.
    pub fn param_int(&self, el: &El<'_>, name: &str) -> Result<Option<Param<i64>>, LoadError> {
        self.param_typed(el, name, |s| s.parse().ok(), "an integer")
    }

    /// A boolean attribute that may be an expression.
    pub fn param_bool(&self, el: &El<'_>, name: &str) -> Result<Option<Param<bool>>, LoadError> {
        self.param_typed(el, name, super::parse_bool, "true or false")
    }

    /// A literal attribute (expressions are refused, as APIM documents).
    pub fn literal(&self, el: &El<'_>, name: &str) -> Result<Option<String>, LoadError> {
        let Some(a) = el.attr(name) else {
            return Ok(None);
        };
        let (value, _) = self.substitute(&a.value, a.value_offset)?;
        if xml::is_expression(&value) {
            return Err(self.invalid(
                el,
                a.value_offset,
                name,
                "policy expressions are not allowed here",
            ));
        }
        Ok(Some(value))
    }

    /// A required literal attribute.
    pub fn req_literal(&self, el: &El<'_>, name: &str) -> Result<String, LoadError> {
        self.literal(el, name)?
            .ok_or_else(|| self.missing(el, name))
    }

    /// A literal typed attribute.
    pub fn literal_typed<T>(
        &self,
        el: &El<'_>,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<Option<T>, LoadError> {
        let Some(s) = self.literal(el, name)? else {
            return Ok(None);
        };
        let offset = el.attr(name).map_or(el.e.offset, |a| a.value_offset);
        parse(s.trim()).map(Some).ok_or_else(|| {
            self.invalid(
                el,
                offset,
                name,
                format!("expected {expected}, found {s:?}"),
            )
        })
    }

    /// A literal integer attribute.
    pub fn literal_int(&self, el: &El<'_>, name: &str) -> Result<Option<i64>, LoadError> {
        self.literal_typed(el, name, |s| s.parse().ok(), "an integer")
    }

    /// A literal boolean attribute.
    pub fn literal_bool(&self, el: &El<'_>, name: &str) -> Result<Option<bool>, LoadError> {
        self.literal_typed(el, name, super::parse_bool, "true or false")
    }

    /// The element's text as a value that may be an expression (`None` when empty).
    pub fn text_param(&self, el: &El<'_>) -> Result<Option<Param<String>>, LoadError> {
        if let Some(child) = el.e.elements().next() {
            return Err(self.unknown_child(el.e, child));
        }
        let Some(t) = el.text() else { return Ok(None) };
        self.param_raw(t.value.trim(), t.offset).map(Some)
    }

    /// The element's literal text (expressions refused).
    pub fn text_literal(&self, el: &El<'_>) -> Result<String, LoadError> {
        match self.text_param(el)? {
            None => Ok(String::new()),
            Some(Param::Const(s)) => Ok(s),
            Some(Param::Expr(_)) => Err(self.invalid(
                el,
                el.text().map_or(el.e.offset, |t| t.offset),
                "text",
                "policy expressions are not allowed here",
            )),
        }
    }
}

pub(super) fn unsupported(
    ld: &Loader<'_, '_>,
    offset: usize,
    what: impl Into<String>,
) -> LoadError {
    ld.error(offset, LoadErrorKind::Unsupported(what.into()))
}

/// A literal attribute where APIM allows expressions but this gateway does not (yet).
pub(super) fn literal_here(
    ld: &Loader<'_, '_>,
    el: &El<'_>,
    name: &str,
) -> Result<Option<String>, LoadError> {
    let Some(a) = el.attr(name) else {
        return Ok(None);
    };
    let (v, _) = ld.substitute(&a.value, a.value_offset)?;
    if xml::is_expression(&v) {
        return Err(unsupported(
            ld,
            a.value_offset,
            format!("policy expressions in {}/@{name}", el.name()),
        ));
    }
    Ok(Some(v))
}

/// The text params of `<container><item>…</item>…</container>`.
pub(super) fn list(
    ld: &Loader<'_, '_>,
    container: &Element,
    item: &str,
) -> Result<Vec<Param<String>>, LoadError> {
    ld.finish(&El::new(container))?;
    items(ld, container, item)
}

/// The text params of the `item` children of `container` (its attributes are the caller's).
pub(super) fn items(
    ld: &Loader<'_, '_>,
    container: &Element,
    item: &str,
) -> Result<Vec<Param<String>>, LoadError> {
    ld.deny_text(&El::new(container))?;
    let mut out = Vec::new();
    for child in container.elements() {
        if child.name != item {
            return Err(ld.unknown_child(container, child));
        }
        let i = El::new(child);
        ld.finish(&i)?;
        out.push(ld.text_param(&i)?.unwrap_or(Param::Const(String::new())));
    }
    Ok(out)
}
