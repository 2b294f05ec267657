//! Writing XML text the way .NET's `XmlDocument.OuterXml` does: empty
//! elements as `<e />`, white-space-only text dropped, attributes quoted with
//! `"`, and the declaration normalised.

use super::{MAX_XML_DEPTH, attr_qname, declaration, own_namespaces, parse, qname, self_closing};

pub(crate) fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

pub(crate) fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            c => escape_text(&c.to_string(), out),
        }
    }
}

pub(crate) fn write_declaration(attrs: &[(String, String)], out: &mut String) {
    out.push_str("<?xml");
    for (k, v) in attrs {
        out.push_str(&format!(" {k}=\""));
        escape_attr(v, out);
        out.push('"');
    }
    out.push_str("?>");
}

/// Parses and re-serialises XML text.
pub(crate) fn canonical(text: &str) -> Result<String, String> {
    let doc = parse(text)?;
    let mut out = String::new();
    if let Some(decl) = declaration(text) {
        write_declaration(&decl, &mut out);
    }
    for child in doc.root().children() {
        write_node(&child, &mut out, 0, &[])?;
    }
    Ok(out)
}

/// Writes one element with its subtree; `extra_ns` are namespace
/// declarations to add on this element (used for XPath results, which carry
/// the namespaces they inherit).
pub(crate) fn write_element(
    node: &roxmltree::Node<'_, '_>,
    out: &mut String,
    extra_ns: &[(String, String)],
) -> Result<(), String> {
    write_node(node, out, 0, extra_ns)
}

fn write_node(
    node: &roxmltree::Node<'_, '_>,
    out: &mut String,
    depth: usize,
    extra_ns: &[(String, String)],
) -> Result<(), String> {
    if depth > MAX_XML_DEPTH {
        return Err(format!(
            "XML nested deeper than {MAX_XML_DEPTH} levels is not supported"
        ));
    }
    match node.node_type() {
        roxmltree::NodeType::Element => {
            let name = qname(node);
            out.push('<');
            out.push_str(name);
            let mut ns = own_namespaces(node);
            for e in extra_ns {
                if !ns.iter().any(|(k, _)| *k == e.0) {
                    ns.push(e.clone());
                }
            }
            for (k, v) in &ns {
                out.push_str(&format!(" {k}=\""));
                escape_attr(v, out);
                out.push('"');
            }
            for a in node.attributes() {
                out.push(' ');
                out.push_str(attr_qname(node.document(), &a));
                out.push_str("=\"");
                escape_attr(a.value(), out);
                out.push('"');
            }
            let children: Vec<_> = node
                .children()
                .filter(|c| !(c.is_text() && c.text().is_some_and(|t| t.trim().is_empty())))
                .collect();
            if children.is_empty() && self_closing(node) {
                out.push_str(" />");
                return Ok(());
            }
            out.push('>');
            for c in &children {
                write_node(c, out, depth + 1, &[])?;
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        roxmltree::NodeType::Text => {
            if let Some(t) = node.text().filter(|t| !t.trim().is_empty()) {
                escape_text(t, out);
            }
        }
        roxmltree::NodeType::Comment => {
            out.push_str("<!--");
            out.push_str(node.text().unwrap_or(""));
            out.push_str("-->");
        }
        roxmltree::NodeType::PI => {
            // A declaration that roxmltree reports as a PI was already written.
            if let Some(pi) = node
                .pi()
                .filter(|pi| !pi.target.eq_ignore_ascii_case("xml"))
            {
                out.push_str("<?");
                out.push_str(pi.target);
                if let Some(v) = pi.value {
                    out.push(' ');
                    out.push_str(v);
                }
                out.push_str("?>");
            }
        }
        roxmltree::NodeType::Root => {}
    }
    Ok(())
}
