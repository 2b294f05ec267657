//! The XPath 1.0 core function library.

use super::eval::{Ctx, XNode, XVal, to_num};

/// Calls XPath function `name` with evaluated arguments.
pub(super) fn call<'a, 'i>(
    name: &str,
    vals: &[XVal<'a, 'i>],
    c: &Ctx<'a, 'i>,
) -> Result<XVal<'a, 'i>, String> {
    let s = |i: usize| {
        vals.get(i)
            .map_or_else(|| XNode::string_value(&c.node), XVal::string)
    };
    let first_node = || match vals.first() {
        Some(XVal::Nodes(n)) => n.first().copied(),
        None => Some(c.node),
        _ => None,
    };
    Ok(match name {
        "last" => XVal::Num(c.size as f64),
        "position" => XVal::Num(c.pos as f64),
        "count" => match vals.first() {
            Some(XVal::Nodes(n)) => XVal::Num(n.len() as f64),
            _ => return Err("count() needs a node set".to_owned()),
        },
        "sum" => match vals.first() {
            Some(XVal::Nodes(n)) => XVal::Num(n.iter().map(|x| to_num(&x.string_value())).sum()),
            _ => return Err("sum() needs a node set".to_owned()),
        },
        "name" | "local-name" | "namespace-uri" => {
            let text = match first_node() {
                Some(XNode::Tree(n)) if n.is_element() => match name {
                    "name" => crate::xml::qname(&n).to_owned(),
                    "local-name" => n.tag_name().name().to_owned(),
                    _ => n.tag_name().namespace().unwrap_or("").to_owned(),
                },
                Some(XNode::Attr(n, i)) => n
                    .attributes()
                    .nth(i)
                    .map(|a| match name {
                        "namespace-uri" => a.namespace().unwrap_or("").to_owned(),
                        _ => a.name().to_owned(),
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            };
            XVal::Str(text)
        }
        "string" => XVal::Str(s(0)),
        "concat" => XVal::Str(vals.iter().map(XVal::string).collect()),
        "starts-with" => XVal::Bool(s(0).starts_with(&s(1))),
        "ends-with" => XVal::Bool(s(0).ends_with(&s(1))),
        "contains" => XVal::Bool(s(0).contains(&s(1))),
        "substring-before" => XVal::Str(
            s(0).split_once(&s(1))
                .map(|(b, _)| b.to_owned())
                .unwrap_or_default(),
        ),
        "substring-after" => XVal::Str(
            s(0).split_once(&s(1))
                .map(|(_, a)| a.to_owned())
                .unwrap_or_default(),
        ),
        "substring" => {
            let chars: Vec<char> = s(0).chars().collect();
            let start = vals.get(1).map_or(1.0, XVal::number).round();
            let end = vals
                .get(2)
                .map_or(f64::INFINITY, |l| start + l.number().round());
            XVal::Str(
                chars
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        let p = (*i + 1) as f64;
                        p >= start && p < end
                    })
                    .map(|(_, ch)| *ch)
                    .collect(),
            )
        }
        "string-length" => XVal::Num(s(0).chars().count() as f64),
        "normalize-space" => XVal::Str(s(0).split_whitespace().collect::<Vec<_>>().join(" ")),
        "translate" => {
            let (from, to): (Vec<char>, Vec<char>) =
                (s(1).chars().collect(), s(2).chars().collect());
            XVal::Str(
                s(0).chars()
                    .filter_map(|ch| match from.iter().position(|f| *f == ch) {
                        Some(i) => to.get(i).copied(),
                        None => Some(ch),
                    })
                    .collect(),
            )
        }
        "not" => XVal::Bool(!vals.first().is_some_and(XVal::boolean)),
        "true" => XVal::Bool(true),
        "false" => XVal::Bool(false),
        "boolean" => XVal::Bool(vals.first().is_some_and(XVal::boolean)),
        "number" => XVal::Num(
            vals.first()
                .map_or_else(|| to_num(&c.node.string_value()), XVal::number),
        ),
        "floor" => XVal::Num(vals.first().map_or(f64::NAN, XVal::number).floor()),
        "ceiling" => XVal::Num(vals.first().map_or(f64::NAN, XVal::number).ceil()),
        "round" => XVal::Num((vals.first().map_or(f64::NAN, XVal::number) + 0.5).floor()),
        other => return Err(format!("the XPath function '{other}' is not supported")),
    })
}
