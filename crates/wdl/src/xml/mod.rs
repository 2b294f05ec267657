//! XML support: canonical re-serialisation for `xml()`, XML → JSON for
//! `json(xml(…))`, JSON → XML for `xml(object)`, and XPath for `xpath()`.
//!
//! The runtime stores XML as text produced by .NET's `XmlDocument`, so
//! `xml('<test/>')` holds `<test />` (observed). We parse with `roxmltree`
//! (read-only, no DTD expansion beyond its safe defaults) and write the same
//! shape back. Known gaps: CDATA sections are written as escaped text,
//! comments are dropped from the JSON form, and DOCTYPE is not carried over.

mod convert;
mod write;
pub(crate) mod xpath;

pub(crate) use convert::{json_to_xml, xml_to_json};
pub(crate) use write::canonical;

/// Deepest element nesting we serialise or convert.
pub(crate) const MAX_XML_DEPTH: usize = 256;

/// Parses XML text into a document, with our safety limits.
pub(crate) fn parse(text: &str) -> Result<roxmltree::Document<'_>, String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 1_000_000,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, opts).map_err(|e| e.to_string())
}

/// The attributes of a leading `<?xml …?>` declaration, in order.
pub(crate) fn declaration(text: &str) -> Option<Vec<(String, String)>> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let rest = t.strip_prefix("<?xml")?;
    if !rest.starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let body = &rest[..rest.find("?>")?];
    let mut out = Vec::new();
    let mut s = body.trim();
    while let Some(eq) = s.find('=') {
        let name = s[..eq].trim().to_owned();
        let after = s[eq + 1..].trim_start();
        let quote = after.chars().next()?;
        let end = after[1..].find(quote)?;
        out.push((name, after[1..1 + end].to_owned()));
        s = after[end + 2..].trim_start();
    }
    Some(out)
}

/// The qualified name of an element as written in the source.
pub(crate) fn qname<'a>(node: &roxmltree::Node<'a, '_>) -> &'a str {
    let src = node.document().input_text();
    let start = node.range().start + 1;
    let rest = src.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The qualified name of an attribute as written in the source.
pub(crate) fn attr_qname<'a>(
    doc: &'a roxmltree::Document<'_>,
    a: &roxmltree::Attribute<'_, '_>,
) -> &'a str {
    doc.input_text().get(a.range_qname()).unwrap_or("")
}

/// Namespace declarations made on this element (not inherited), as
/// `(attribute name, uri)` pairs such as `("xmlns:p", "urn:x")`.
pub(crate) fn own_namespaces(node: &roxmltree::Node<'_, '_>) -> Vec<(String, String)> {
    let inherited: Vec<(Option<&str>, &str)> = node
        .parent_element()
        .map(|p| p.namespaces().map(|n| (n.name(), n.uri())).collect())
        .unwrap_or_default();
    node.namespaces()
        .filter(|n| n.name() != Some("xml"))
        .filter(|n| !inherited.contains(&(n.name(), n.uri())))
        .map(|n| {
            let attr = match n.name() {
                Some(p) => format!("xmlns:{p}"),
                None => "xmlns".to_owned(),
            };
            (attr, n.uri().to_owned())
        })
        .collect()
}

/// True when the element was written as `<e/>` rather than `<e></e>`.
pub(crate) fn self_closing(node: &roxmltree::Node<'_, '_>) -> bool {
    let src = node.document().input_text();
    src.get(node.range()).is_some_and(|s| s.ends_with("/>"))
}
