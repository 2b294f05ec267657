//! URL templates and request matching.
//!
//! APIs match by the longest path prefix (whole segments). Operations match by method (or
//! `*`) and template; when several match, the one with the most literal segments wins, then
//! a fixed-length template over a wildcard, then an exact method over `*`, then declaration
//! order. Literal segments compare case-insensitively, as APIM does. Template query
//! parameters (`/search?q={q}`) are required for a match.

use crate::expr::value::decode_component;

/// A template path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// Literal text.
    Lit(String),
    /// `{name}`: one segment.
    Param(String),
    /// `{*name}`: the rest of the path (last only).
    Rest(String),
    /// `*`: any rest of the path (last only).
    Star,
}

/// A parsed URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Path segments.
    pub segs: Vec<Seg>,
    /// Query parameters bound by the template: (query name, parameter name).
    pub query: Vec<(String, String)>,
}

fn param_name(seg: &str) -> Option<&str> {
    seg.strip_prefix('{')?.strip_suffix('}')
}

/// Parses `/orders/{id}?expand={expand}`.
pub fn parse_template(t: &str) -> Result<Template, String> {
    let t = t.trim();
    if !t.is_empty() && !t.starts_with('/') {
        return Err(format!("template {t:?} must start with '/'"));
    }
    let (path, query) = t.split_once('?').unwrap_or((t, ""));
    let raw: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut segs = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let last = i + 1 == raw.len();
        let seg = match param_name(s) {
            Some(name) if name.starts_with('*') && last => Seg::Rest(name[1..].to_owned()),
            Some(name) if !name.is_empty() && !name.contains(['{', '}', '*']) => {
                Seg::Param(name.to_owned())
            }
            None if *s == "*" && last => Seg::Star,
            None if !s.contains(['{', '}', '*']) => {
                Seg::Lit(decode_component(s, false).into_owned())
            }
            _ => return Err(format!("unsupported template segment {s:?} in {t:?}")),
        };
        segs.push(seg);
    }
    let mut q = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("query template {pair:?} needs name={{param}}"))?;
        let name =
            param_name(v).ok_or_else(|| format!("query template {pair:?} needs name={{param}}"))?;
        q.push((k.to_owned(), name.to_owned()));
    }
    Ok(Template { segs, query: q })
}

impl Template {
    /// Literal segment count (the main specificity measure).
    pub fn literals(&self) -> usize {
        self.segs
            .iter()
            .filter(|s| matches!(s, Seg::Lit(_)))
            .count()
    }

    /// Whether the template ends in a wildcard.
    pub fn wildcard(&self) -> bool {
        matches!(self.segs.last(), Some(Seg::Rest(_) | Seg::Star))
    }

    /// Matches raw path segments and decoded query pairs; returns the bound parameters.
    pub fn matches(
        &self,
        path: &[&str],
        query: &[(String, String)],
    ) -> Option<Vec<(String, String)>> {
        let mut params = Vec::new();
        let mut i = 0;
        for seg in &self.segs {
            match seg {
                Seg::Lit(l) => {
                    let got = decode_component(path.get(i)?, false);
                    if !got.eq_ignore_ascii_case(l) {
                        return None;
                    }
                    i += 1;
                }
                Seg::Param(name) => {
                    params.push((
                        name.clone(),
                        decode_component(path.get(i)?, false).into_owned(),
                    ));
                    i += 1;
                }
                Seg::Rest(name) => {
                    let mut rest = String::new();
                    for (n, s) in path[i.min(path.len())..].iter().enumerate() {
                        if n > 0 {
                            rest.push('/');
                        }
                        rest.push_str(&decode_component(s, false));
                    }
                    params.push((name.clone(), rest));
                    i = path.len();
                }
                Seg::Star => i = path.len(),
            }
        }
        if i != path.len() {
            return None;
        }
        for (qname, pname) in &self.query {
            let value = query.iter().find(|(k, _)| k == qname)?;
            params.push((pname.clone(), value.1.clone()));
        }
        Some(params)
    }
}

/// A request path's raw segments (empty segments dropped).
pub fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Whether an API path (segments) is a prefix of the request path.
pub fn api_prefix(api: &[String], path: &str) -> bool {
    let mut segs = segments(path);
    api.iter().all(|a| {
        segs.next()
            .is_some_and(|p| a.eq_ignore_ascii_case(&decode_component(p, false)))
    })
}

/// The request path after the first `n` segments, keeping the raw encoding and a leading `/`
/// (empty when nothing is left).
pub fn rest_path(path: &str, n: usize) -> &str {
    let mut remaining = path;
    for _ in 0..n {
        remaining = remaining.trim_start_matches('/');
        remaining = remaining.find('/').map_or("", |i| &remaining[i..]);
    }
    remaining
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_match() {
        let t = parse_template("/orders/{id}/lines?expand={x}").unwrap();
        let q = vec![("expand".to_owned(), "all".to_owned())];
        assert_eq!(
            t.matches(&["Orders", "a%20b", "lines"], &q).unwrap(),
            vec![("id".into(), "a b".into()), ("x".into(), "all".into())]
        );
        assert!(
            t.matches(&["orders", "1", "lines"], &[]).is_none(),
            "template query params are required"
        );
        assert!(t.matches(&["orders", "1"], &q).is_none());
        let w = parse_template("/files/{*path}").unwrap();
        assert_eq!(w.matches(&["files", "a", "b"], &[]).unwrap()[0].1, "a/b");
        assert!(w.wildcard());
        assert!(parse_template("/a/{x}.json").is_err());
        assert!(parse_template("nope").is_err());
        assert!(parse_template("/*/x").is_err());
        assert_eq!(parse_template("").unwrap().segs, vec![]);
    }

    #[test]
    fn prefixes_and_rest() {
        assert!(api_prefix(&["orders".into()], "/ORDERS/1"));
        assert!(api_prefix(&["orders".into()], "//orders/"));
        assert!(api_prefix(&["a b".into()], "/a%20b/x"));
        assert!(!api_prefix(&["orders".into(), "v2".into()], "/orders"));
        assert!(api_prefix(&[], "/"));
        assert_eq!(rest_path("/orders/1/x%2Fy", 1), "/1/x%2Fy");
        assert_eq!(rest_path("/orders", 1), "");
        assert_eq!(rest_path("/a/b", 0), "/a/b");
    }
}
