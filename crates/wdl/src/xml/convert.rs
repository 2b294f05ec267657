//! XML ⇄ JSON in the style of Newtonsoft.Json's XmlNodeConverter, which the
//! runtime uses: attributes become `@name` keys, repeated child elements
//! become arrays, mixed text goes under `#text`, the declaration becomes a
//! `?xml` object, `<e/>` is null and `<e></e>` is `""`.

use super::write::{escape_attr, escape_text, write_declaration};
use super::{MAX_XML_DEPTH, attr_qname, declaration, own_namespaces, parse, qname, self_closing};
use crate::numfmt::double;
use crate::value::{Obj, Val};

/// Converts XML text to a JSON-like value.
pub(crate) fn xml_to_json(text: &str) -> Result<Val, String> {
    let doc = parse(text)?;
    let mut top = Obj::default();
    if let Some(decl) = declaration(text) {
        let attrs = decl
            .into_iter()
            .map(|(k, v)| (format!("@{k}"), Val::Str(v)))
            .collect();
        top.0.push(("?xml".to_owned(), Val::Object(Obj(attrs))));
    }
    let root = doc.root_element();
    top.0
        .push((qname(&root).to_owned(), element_value(&root, 0)?));
    Ok(Val::Object(top))
}

fn element_value(node: &roxmltree::Node<'_, '_>, depth: usize) -> Result<Val, String> {
    if depth > MAX_XML_DEPTH {
        return Err(format!(
            "XML nested deeper than {MAX_XML_DEPTH} levels is not supported"
        ));
    }
    let mut attrs: Vec<(String, Val)> = own_namespaces(node)
        .into_iter()
        .map(|(k, v)| (format!("@{k}"), Val::Str(v)))
        .collect();
    for a in node.attributes() {
        attrs.push((
            format!("@{}", attr_qname(node.document(), &a)),
            Val::Str(a.value().to_owned()),
        ));
    }
    // Children grouped by name in first-appearance order.
    let mut groups: Vec<(String, Vec<Val>)> = Vec::new();
    let mut elements = 0;
    let mut saw_text = false;
    for child in node.children() {
        let (key, value) = if child.is_element() {
            elements += 1;
            (qname(&child).to_owned(), element_value(&child, depth + 1)?)
        } else if child.is_text() {
            saw_text = true;
            match child.text().filter(|t| !t.trim().is_empty()) {
                Some(t) => ("#text".to_owned(), Val::Str(t.to_owned())),
                None => continue,
            }
        } else {
            continue;
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(value),
            None => groups.push((key, vec![value])),
        }
    }
    if attrs.is_empty() && elements == 0 {
        return Ok(match groups.as_mut_slice() {
            [] if self_closing(node) && !saw_text => Val::Null,
            [] => Val::Str(String::new()),
            [(_, texts)] if texts.len() == 1 => texts.swap_remove(0),
            _ => Val::Object(Obj(flatten(groups))),
        });
    }
    attrs.extend(flatten(groups));
    Ok(Val::Object(Obj(attrs)))
}

fn flatten(groups: Vec<(String, Vec<Val>)>) -> Vec<(String, Val)> {
    groups
        .into_iter()
        .map(|(k, mut list)| {
            let v = if list.len() == 1 {
                list.swap_remove(0)
            } else {
                Val::Array(list)
            };
            (k, v)
        })
        .collect()
}

/// Converts a JSON object with one root property (plus an optional `?xml`)
/// to XML text.
pub(crate) fn json_to_xml(obj: &Obj) -> Result<String, String> {
    let mut out = String::new();
    let roots: Vec<&(String, Val)> = obj
        .0
        .iter()
        .filter(|(k, _)| k != "?xml" && k != "!DOCTYPE")
        .collect();
    let [(name, value)] = roots.as_slice() else {
        return Err(
            "expects a JSON object with exactly one root property to convert to XML.".to_owned(),
        );
    };
    if let Some(Val::Object(decl)) = obj.get("?xml") {
        let attrs: Vec<(String, String)> = decl
            .0
            .iter()
            .map(|(k, v)| (k.trim_start_matches('@').to_owned(), scalar_text(v)))
            .collect();
        write_declaration(&attrs, &mut out);
    }
    if matches!(value, Val::Array(_)) {
        return Err(
            "cannot convert a JSON array at the root to XML; wrap it in an object.".to_owned(),
        );
    }
    write_value(name, value, &mut out, 0)?;
    Ok(out)
}

fn scalar_text(v: &Val) -> String {
    match v {
        Val::Null => String::new(),
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => double::format_r(*f),
        Val::Decimal(d) => d.to_string(),
        Val::Str(s) => s.clone(),
        other => crate::text::to_json_text(other),
    }
}

/// .NET `XmlConvert.EncodeLocalName`-style escaping: characters not allowed
/// in an XML name become `_xHHHH_`; an undeclared prefix is dropped
/// (observed: `{"ro:ot": …}` gives `<ot>`).
fn encode_name(name: &str, declared_prefixes: &[String]) -> String {
    let local = match name.split_once(':') {
        Some((prefix, local)) if declared_prefixes.iter().any(|p| p == prefix) => {
            return format!("{}:{}", encode_local(prefix), encode_local(local));
        }
        Some((_, local)) => local,
        None => name,
    };
    encode_local(local)
}

fn encode_local(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        let ok = c.is_alphabetic()
            || c == '_'
            || (i > 0 && (c.is_ascii_digit() || c == '-' || c == '.'));
        if ok {
            out.push(c);
        } else {
            out.push_str(&format!("_x{:04X}_", c as u32));
        }
    }
    if out.is_empty() {
        out.push_str("_x0000_");
    }
    out
}

fn write_value(name: &str, value: &Val, out: &mut String, depth: usize) -> Result<(), String> {
    if depth > MAX_XML_DEPTH {
        return Err(format!(
            "JSON nested deeper than {MAX_XML_DEPTH} levels cannot be converted to XML"
        ));
    }
    if let Val::Array(items) = value {
        for item in items {
            write_value(name, item, out, depth + 1)?;
        }
        return Ok(());
    }
    let declared: Vec<String> = match value {
        Val::Object(o) => {
            o.0.iter()
                .filter_map(|(k, _)| k.strip_prefix("@xmlns:").map(str::to_owned))
                .collect()
        }
        _ => Vec::new(),
    };
    let tag = encode_name(name, &declared);
    out.push('<');
    out.push_str(&tag);
    match value {
        Val::Null => {
            out.push_str(" />");
            return Ok(());
        }
        Val::Object(o) => {
            let mut body = String::new();
            for (k, v) in &o.0 {
                if let Some(attr) = k.strip_prefix('@') {
                    out.push(' ');
                    out.push_str(attr);
                    out.push_str("=\"");
                    escape_attr(&scalar_text(v), out);
                    out.push('"');
                } else if k == "#text" {
                    escape_text(&scalar_text(v), &mut body);
                } else if k == "#cdata-section" {
                    body.push_str(&format!("<![CDATA[{}]]>", scalar_text(v)));
                } else {
                    write_value(k, v, &mut body, depth + 1)?;
                }
            }
            if body.is_empty() {
                out.push_str(" />");
            } else {
                out.push('>');
                out.push_str(&body);
                out.push_str(&format!("</{tag}>"));
            }
        }
        scalar => {
            out.push('>');
            escape_text(&scalar_text(scalar), out);
            out.push_str(&format!("</{tag}>"));
        }
    }
    Ok(())
}
