//! Evaluating parsed XPath over a `roxmltree` document.

use roxmltree::{Document, Node};

use super::{Axis, Start, Step, Test, XExpr};
use crate::value::Val;
use crate::xml::write::write_element;

/// A node: a tree node, or the `i`-th attribute of an element.
#[derive(Clone, Copy)]
pub(super) enum XNode<'a, 'i> {
    Tree(Node<'a, 'i>),
    Attr(Node<'a, 'i>, usize),
}

impl<'a, 'i> XNode<'a, 'i> {
    /// Document-order key.
    fn key(&self) -> (usize, usize) {
        match self {
            XNode::Tree(n) => (n.id().get_usize(), 0),
            XNode::Attr(n, i) => (n.id().get_usize(), i + 1),
        }
    }

    pub(super) fn string_value(&self) -> String {
        match self {
            XNode::Attr(n, i) => n
                .attributes()
                .nth(*i)
                .map(|a| a.value().to_owned())
                .unwrap_or_default(),
            XNode::Tree(n) if n.is_text() || n.is_comment() => n.text().unwrap_or("").to_owned(),
            XNode::Tree(n) => n
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect(),
        }
    }
}

#[derive(Clone)]
pub(super) enum XVal<'a, 'i> {
    Nodes(Vec<XNode<'a, 'i>>),
    Num(f64),
    Str(String),
    Bool(bool),
}

pub(super) fn to_num(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

impl XVal<'_, '_> {
    pub(super) fn string(&self) -> String {
        match self {
            XVal::Nodes(n) => n.first().map(XNode::string_value).unwrap_or_default(),
            XVal::Num(n) => {
                if n.fract() == 0.0 && n.is_finite() {
                    format!("{}", *n as i64)
                } else {
                    crate::numfmt::double::format_r(*n)
                }
            }
            XVal::Str(s) => s.clone(),
            XVal::Bool(b) => b.to_string(),
        }
    }

    pub(super) fn number(&self) -> f64 {
        match self {
            XVal::Num(n) => *n,
            XVal::Bool(b) => f64::from(u8::from(*b)),
            other => to_num(&other.string()),
        }
    }

    pub(super) fn boolean(&self) -> bool {
        match self {
            XVal::Nodes(n) => !n.is_empty(),
            XVal::Num(n) => *n != 0.0 && !n.is_nan(),
            XVal::Str(s) => !s.is_empty(),
            XVal::Bool(b) => *b,
        }
    }
}

pub(super) struct Ctx<'a, 'i> {
    pub(super) node: XNode<'a, 'i>,
    pub(super) pos: usize,
    pub(super) size: usize,
}

/// Evaluates `expr` against the XML `text`.
pub(crate) fn evaluate(text: &str, expr: &str) -> Result<Val, String> {
    let doc = crate::xml::parse(text)?;
    let ast = super::parse(expr)?;
    let root = XNode::Tree(doc.root());
    let v = eval(
        &ast,
        &Ctx {
            node: root,
            pos: 1,
            size: 1,
        },
        &doc,
    )?;
    Ok(match v {
        XVal::Nodes(nodes) => Val::Array(nodes.iter().map(node_to_val).collect::<Result<_, _>>()?),
        XVal::Num(n) => Val::Float(n),
        XVal::Str(s) => Val::Str(s),
        XVal::Bool(b) => Val::Bool(b),
    })
}

fn node_to_val(n: &XNode<'_, '_>) -> Result<Val, String> {
    match n {
        XNode::Tree(node) if node.is_element() => {
            let mut out = String::new();
            write_element(node, &mut out, &inherited_namespaces(node))?;
            Ok(Val::xml(&out))
        }
        XNode::Tree(node) if node.is_root() => {
            let mut out = String::new();
            for c in node.children().filter(|c| c.is_element()) {
                write_element(&c, &mut out, &[])?;
            }
            Ok(Val::xml(&out))
        }
        other => Ok(Val::Str(other.string_value())),
    }
}

/// Namespaces in scope from ancestors that the element's own name uses, so
/// the extracted XML stays well-formed (as .NET's `OuterXml` does).
fn inherited_namespaces(node: &Node<'_, '_>) -> Vec<(String, String)> {
    let own = crate::xml::own_namespaces(node);
    let Some(uri) = node.tag_name().namespace() else {
        return Vec::new();
    };
    let qn = crate::xml::qname(node);
    let attr = match qn.split_once(':') {
        Some((p, _)) => format!("xmlns:{p}"),
        None => "xmlns".to_owned(),
    };
    if own.iter().any(|(k, _)| *k == attr) {
        return Vec::new();
    }
    vec![(attr, uri.to_owned())]
}

fn sort_dedup(nodes: &mut Vec<XNode<'_, '_>>) {
    nodes.sort_by_key(XNode::key);
    nodes.dedup_by_key(|n| n.key());
}

fn eval<'a, 'i>(e: &XExpr, c: &Ctx<'a, 'i>, doc: &'a Document<'i>) -> Result<XVal<'a, 'i>, String> {
    Ok(match e {
        XExpr::Num(n) => XVal::Num(*n),
        XExpr::Str(s) => XVal::Str(s.clone()),
        XExpr::Neg(inner) => XVal::Num(-eval(inner, c, doc)?.number()),
        XExpr::Func(name, args) => {
            let vals = args
                .iter()
                .map(|a| eval(a, c, doc))
                .collect::<Result<Vec<_>, _>>()?;
            super::functions::call(name, &vals, c)?
        }
        XExpr::Binary(op, l, r) => binary(op, l, r, c, doc)?,
        XExpr::Path(start, steps) => {
            let mut nodes = match start {
                Start::Root => vec![XNode::Tree(doc.root())],
                Start::Context => vec![c.node],
                Start::Filter(base, preds) => {
                    let XVal::Nodes(mut ns) = eval(base, c, doc)? else {
                        if preds.is_empty() && steps.is_empty() {
                            return eval(base, c, doc);
                        }
                        return Err("XPath predicates and paths need a node set".to_owned());
                    };
                    for p in preds {
                        ns = filter(ns, p, doc)?;
                    }
                    ns
                }
            };
            for step in steps {
                nodes = apply_step(&nodes, step, doc)?;
            }
            XVal::Nodes(nodes)
        }
    })
}

fn filter<'a, 'i>(
    nodes: Vec<XNode<'a, 'i>>,
    pred: &XExpr,
    doc: &'a Document<'i>,
) -> Result<Vec<XNode<'a, 'i>>, String> {
    let size = nodes.len();
    let mut out = Vec::new();
    for (i, n) in nodes.into_iter().enumerate() {
        let ctx = Ctx {
            node: n,
            pos: i + 1,
            size,
        };
        let keep = match eval(pred, &ctx, doc)? {
            XVal::Num(k) => k == (i + 1) as f64,
            other => other.boolean(),
        };
        if keep {
            out.push(n);
        }
    }
    Ok(out)
}

fn name_matches(test: &Test, node: &XNode<'_, '_>) -> bool {
    match (test, node) {
        (Test::Node, _) => true,
        (Test::Text, XNode::Tree(n)) => n.is_text(),
        (Test::Comment, XNode::Tree(n)) => n.is_comment(),
        (Test::Pi, XNode::Tree(n)) => n.is_pi(),
        (Test::Any, XNode::Tree(n)) => n.is_element(),
        (Test::Any, XNode::Attr(..)) => true,
        (Test::Name(name), XNode::Tree(n)) if n.is_element() => {
            if name.contains(':') {
                crate::xml::qname(n) == name
            } else {
                n.tag_name().name() == name && n.tag_name().namespace().is_none()
            }
        }
        (Test::Name(name), XNode::Attr(n, i)) => n
            .attributes()
            .nth(*i)
            .is_some_and(|a| a.name() == name.rsplit(':').next().unwrap_or(name)),
        _ => false,
    }
}

fn axis_nodes<'a, 'i>(n: &XNode<'a, 'i>, axis: Axis) -> Vec<XNode<'a, 'i>> {
    let tree = |it: &mut dyn Iterator<Item = Node<'a, 'i>>| it.map(XNode::Tree).collect::<Vec<_>>();
    let XNode::Tree(node) = *n else {
        let XNode::Attr(owner, _) = *n else {
            return Vec::new();
        };
        return match axis {
            Axis::Itself => vec![*n],
            Axis::Parent => vec![XNode::Tree(owner)],
            Axis::Ancestor | Axis::AncestorOrSelf => {
                let mut v = if axis == Axis::AncestorOrSelf {
                    vec![*n]
                } else {
                    Vec::new()
                };
                v.extend(tree(&mut owner.ancestors()));
                v
            }
            _ => Vec::new(),
        };
    };
    match axis {
        Axis::Child => tree(&mut node.children()),
        Axis::Descendant => tree(&mut node.descendants().skip(1)),
        Axis::DescendantOrSelf => tree(&mut node.descendants()),
        Axis::Attribute => (0..node.attributes().len())
            .map(|i| XNode::Attr(node, i))
            .collect(),
        Axis::Itself => vec![*n],
        Axis::Parent => tree(&mut node.parent().into_iter()),
        Axis::Ancestor => tree(&mut node.ancestors().skip(1)),
        Axis::AncestorOrSelf => tree(&mut node.ancestors()),
        Axis::FollowingSibling => tree(&mut node.next_siblings().skip(1)),
        Axis::PrecedingSibling => tree(&mut node.prev_siblings().skip(1)),
        Axis::Following => {
            let after = node
                .descendants()
                .next_back()
                .map_or(node.id(), |d| d.id())
                .get_usize();
            tree(
                &mut node
                    .document()
                    .descendants()
                    .filter(|d| d.id().get_usize() > after),
            )
        }
        Axis::Preceding => {
            let ancestors: Vec<_> = node.ancestors().map(|a| a.id()).collect();
            let mut v = tree(&mut node.document().descendants().filter(|d| {
                d.id().get_usize() < node.id().get_usize() && !ancestors.contains(&d.id())
            }));
            v.reverse();
            v
        }
    }
}

fn apply_step<'a, 'i>(
    nodes: &[XNode<'a, 'i>],
    step: &Step,
    doc: &'a Document<'i>,
) -> Result<Vec<XNode<'a, 'i>>, String> {
    let mut out = Vec::new();
    for n in nodes {
        let mut candidates: Vec<XNode<'a, 'i>> = axis_nodes(n, step.axis)
            .into_iter()
            .filter(|c| {
                // On the child and descendant axes a name test or `*` selects
                // elements only; attributes are reached via `@`.
                step.axis == Axis::Attribute || matches!(c, XNode::Tree(_))
            })
            .filter(|c| name_matches(&step.test, c))
            .collect();
        for p in &step.preds {
            candidates = filter(candidates, p, doc)?;
        }
        out.extend(candidates);
        if out.len() > 1_000_000 {
            return Err("XPath result is too large".to_owned());
        }
    }
    sort_dedup(&mut out);
    Ok(out)
}

fn compare(op: &str, a: &XVal<'_, '_>, b: &XVal<'_, '_>) -> bool {
    let num_op = |x: f64, y: f64| match op {
        "=" => x == y,
        "!=" => x != y,
        "<" => x < y,
        "<=" => x <= y,
        ">" => x > y,
        _ => x >= y,
    };
    let eq = op == "=" || op == "!=";
    match (a, b) {
        (XVal::Nodes(x), XVal::Nodes(y)) => x.iter().any(|p| {
            y.iter().any(|q| {
                let (s, t) = (p.string_value(), q.string_value());
                if eq {
                    (s == t) == (op == "=")
                } else {
                    num_op(to_num(&s), to_num(&t))
                }
            })
        }),
        (XVal::Nodes(x), other) | (other, XVal::Nodes(x)) => {
            let flipped = !matches!(a, XVal::Nodes(_));
            match other {
                XVal::Bool(bv) => (XVal::Nodes(x.clone()).boolean() == *bv) == (op != "!="),
                XVal::Str(s) if eq => x.iter().any(|n| (n.string_value() == *s) == (op == "=")),
                _ => x.iter().any(|n| {
                    let (v, w) = (to_num(&n.string_value()), other.number());
                    if flipped { num_op(w, v) } else { num_op(v, w) }
                }),
            }
        }
        _ if eq && (matches!(a, XVal::Bool(_)) || matches!(b, XVal::Bool(_))) => {
            (a.boolean() == b.boolean()) == (op == "=")
        }
        _ if eq && !(matches!(a, XVal::Num(_)) || matches!(b, XVal::Num(_))) => {
            (a.string() == b.string()) == (op == "=")
        }
        _ => num_op(a.number(), b.number()),
    }
}

fn binary<'a, 'i>(
    op: &str,
    l: &XExpr,
    r: &XExpr,
    c: &Ctx<'a, 'i>,
    doc: &'a Document<'i>,
) -> Result<XVal<'a, 'i>, String> {
    match op {
        "or" => {
            return Ok(XVal::Bool(
                eval(l, c, doc)?.boolean() || eval(r, c, doc)?.boolean(),
            ));
        }
        "and" => {
            return Ok(XVal::Bool(
                eval(l, c, doc)?.boolean() && eval(r, c, doc)?.boolean(),
            ));
        }
        _ => {}
    }
    let (a, b) = (eval(l, c, doc)?, eval(r, c, doc)?);
    Ok(match op {
        "|" => match (a, b) {
            (XVal::Nodes(mut x), XVal::Nodes(y)) => {
                x.extend(y);
                sort_dedup(&mut x);
                XVal::Nodes(x)
            }
            _ => return Err("the XPath '|' operator needs node sets".to_owned()),
        },
        "+" => XVal::Num(a.number() + b.number()),
        "-" => XVal::Num(a.number() - b.number()),
        "*" => XVal::Num(a.number() * b.number()),
        "div" => XVal::Num(a.number() / b.number()),
        "mod" => XVal::Num(a.number() % b.number()),
        cmp => XVal::Bool(compare(cmp, &a, &b)),
    })
}
