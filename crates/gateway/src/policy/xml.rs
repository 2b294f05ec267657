//! A tolerant tokenizer for APIM policy documents ("rawxml").
//!
//! Real policy documents are not XML: expressions go into attributes and text unescaped
//! (`condition="@(x == "a" && y < 3)"`), and a bare `&` is common in URL templates. So an
//! attribute value or text that starts with `@(` or `@{` is scanned as a C# region —
//! balanced brackets, skipping string and char literals, verbatim and interpolated strings —
//! and everything else is read as XML that tolerates a bare `&`. The result is a plain
//! element tree with byte offsets; nothing here knows about policies.
//!
//! Pure and panic-free on any input: slicing only happens at ASCII delimiters and through
//! `str::get`, and nesting is bounded.

/// Deepest element nesting accepted (deeper documents are refused, not stack-overflowed).
const MAX_DEPTH: usize = 64;

pub use super::scan::scan_expression;

/// A syntax error at a byte offset of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// An attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Its name.
    pub name: String,
    /// Its value, entity-decoded.
    pub value: String,
    /// Byte offset of the name.
    pub offset: usize,
    /// Byte offset of the first character of the value.
    pub value_offset: usize,
}

/// A run of character data (never whitespace-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The text, entity-decoded (CDATA verbatim).
    pub value: String,
    /// Byte offset of the first character.
    pub offset: usize,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A nested element.
    Element(Element),
    /// Character data.
    Text(Text),
}

/// An element with its attributes and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Tag name.
    pub name: String,
    /// Byte offset of the `<`.
    pub offset: usize,
    /// Attributes in document order.
    pub attrs: Vec<Attr>,
    /// Children in document order.
    pub children: Vec<Node>,
}

impl Element {
    /// Child elements only.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Text children only.
    pub fn texts(&self) -> impl Iterator<Item = &Text> {
        self.children.iter().filter_map(|n| match n {
            Node::Text(t) => Some(t),
            Node::Element(_) => None,
        })
    }
}

/// Parses one document: an optional prolog, comments, and exactly one root element.
pub fn parse_document(src: &str) -> Result<Element, XmlError> {
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        i: 0,
    };
    if p.rest().starts_with('\u{feff}') {
        p.i += '\u{feff}'.len_utf8();
    }
    p.skip_misc()?;
    if p.peek() != Some(b'<') {
        return Err(p.err("expected a root element"));
    }
    let root = p.element(0)?;
    p.skip_misc()?;
    if p.i < p.b.len() {
        return Err(p.err("unexpected content after the root element"));
    }
    Ok(root)
}

/// Whether a value is a policy expression (`@(…)` or `@{…}`).
pub fn is_expression(value: &str) -> bool {
    value.starts_with("@(") || value.starts_with("@{")
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.') || c >= 0x80
}

impl<'a> Parser<'a> {
    fn err(&self, message: impl Into<String>) -> XmlError {
        XmlError {
            offset: self.i.min(self.b.len()),
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.i..).unwrap_or("")
    }

    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.src.get(from..to).unwrap_or("")
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    /// Skips whitespace, comments and processing instructions.
    fn skip_misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            if self.rest().starts_with("<!--") {
                self.skip_past("-->", "unterminated comment")?;
            } else if self.rest().starts_with("<?") {
                self.skip_past("?>", "unterminated processing instruction")?;
            } else {
                return Ok(());
            }
        }
    }

    fn skip_past(&mut self, end: &str, message: &str) -> Result<(), XmlError> {
        match self.rest().get(2..).and_then(|r| r.find(end)) {
            Some(at) => {
                self.i += 2 + at + end.len();
                Ok(())
            }
            None => Err(self.err(message)),
        }
    }

    fn name(&mut self) -> Result<&'a str, XmlError> {
        let start = self.i;
        while self.peek().is_some_and(is_name_byte) {
            self.i += 1;
        }
        if self.i == start {
            return Err(self.err("expected a name"));
        }
        // Name bytes never split a UTF-8 sequence: non-ASCII bytes are all accepted.
        Ok(self.slice(start, self.i))
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("elements nested too deeply"));
        }
        let offset = self.i;
        self.i += 1; // '<'
        let name = self.name()?.to_owned();
        let mut attrs: Vec<Attr> = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'/') => {
                    if self.b.get(self.i + 1) != Some(&b'>') {
                        return Err(self.err("expected '/>'"));
                    }
                    self.i += 2;
                    return Ok(Element {
                        name,
                        offset,
                        attrs,
                        children: Vec::new(),
                    });
                }
                Some(b'>') => {
                    self.i += 1;
                    break;
                }
                Some(_) => {
                    let attr = self.attribute()?;
                    if attrs.iter().any(|a| a.name == attr.name) {
                        return Err(XmlError {
                            offset: attr.offset,
                            message: format!("duplicate attribute {:?}", attr.name),
                        });
                    }
                    attrs.push(attr);
                }
                None => return Err(self.err(format!("unterminated start tag <{name}>"))),
            }
        }
        let children = self.content(&name, offset, depth)?;
        Ok(Element {
            name,
            offset,
            attrs,
            children,
        })
    }

    fn attribute(&mut self) -> Result<Attr, XmlError> {
        let offset = self.i;
        let name = self.name()?.to_owned();
        self.skip_ws();
        if self.peek() != Some(b'=') {
            return Err(self.err(format!("expected '=' after attribute {name:?}")));
        }
        self.i += 1;
        self.skip_ws();
        let quote = match self.peek() {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return Err(self.err("expected a quoted attribute value")),
        };
        self.i += 1;
        let value_offset = self.i;
        let value = if is_expression(self.rest()) {
            let end = scan_expression(self.b, self.i)?;
            let raw = self.slice(self.i, end);
            self.i = end;
            self.skip_ws();
            if self.peek() != Some(quote) {
                return Err(self.err(
                    "an expression must be the whole attribute value (expected the closing quote)",
                ));
            }
            decode_entities(raw)
        } else {
            let Some(len) = self
                .b
                .get(self.i..)
                .and_then(|r| r.iter().position(|&c| c == quote))
            else {
                return Err(self.err(format!("unterminated value of attribute {name:?}")));
            };
            let raw = self.slice(self.i, self.i + len);
            self.i += len;
            decode_entities(raw)
        };
        self.i += 1; // closing quote
        Ok(Attr {
            name,
            value,
            offset,
            value_offset,
        })
    }

    fn content(&mut self, name: &str, open: usize, depth: usize) -> Result<Vec<Node>, XmlError> {
        let mut children = Vec::new();
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Err(XmlError {
                    offset: open,
                    message: format!("element <{name}> is never closed"),
                });
            }
            if rest.starts_with("</") {
                let at = self.i;
                self.i += 2;
                let close = self.name()?;
                if close != name {
                    return Err(XmlError {
                        offset: at,
                        message: format!("closing tag </{close}> does not match <{name}>"),
                    });
                }
                self.skip_ws();
                if self.peek() != Some(b'>') {
                    return Err(self.err("expected '>'"));
                }
                self.i += 1;
                return Ok(children);
            } else if rest.starts_with("<!--") {
                self.skip_past("-->", "unterminated comment")?;
            } else if rest.starts_with("<![CDATA[") {
                let offset = self.i + 9;
                let Some(len) = rest.get(9..).and_then(|r| r.find("]]>")) else {
                    return Err(self.err("unterminated CDATA section"));
                };
                let value = self.slice(offset, offset + len).to_owned();
                self.i = offset + len + 3;
                push_text(&mut children, value, offset);
            } else if rest.starts_with("<?") {
                self.skip_past("?>", "unterminated processing instruction")?;
            } else if rest.starts_with('<') {
                children.push(Node::Element(self.element(depth + 1)?));
            } else {
                self.text(&mut children)?;
            }
        }
    }

    fn text(&mut self, children: &mut Vec<Node>) -> Result<(), XmlError> {
        let start = self.i;
        self.skip_ws();
        if is_expression(self.rest()) {
            let offset = self.i;
            let end = scan_expression(self.b, self.i)?;
            let raw = self.slice(self.i, end);
            self.i = end;
            self.skip_ws();
            if self.peek() != Some(b'<') || self.rest().starts_with("<![CDATA[") {
                return Err(self.err("an expression must be the whole element value"));
            }
            push_text(children, decode_entities(raw), offset);
            return Ok(());
        }
        let len = self
            .b
            .get(self.i..)
            .and_then(|r| r.iter().position(|&c| c == b'<'))
            .unwrap_or(self.b.len() - self.i);
        self.i += len;
        let raw = self.slice(start, self.i);
        let lead = raw.len() - raw.trim_start().len();
        push_text(children, decode_entities(raw), start + lead);
        Ok(())
    }
}

fn push_text(children: &mut Vec<Node>, value: String, offset: usize) {
    if value.trim().is_empty() {
        return;
    }
    // Adjacent runs (text, comment, text) form one value.
    if let Some(Node::Text(prev)) = children.last_mut() {
        prev.value.push_str(&value);
        return;
    }
    children.push(Node::Text(Text { value, offset }));
}

/// Decodes the five XML entities and numeric character references; anything else starting
/// with `&` (a bare `&`, `&&`) is kept literally, as APIM does.
pub fn decode_entities(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or(""));
        let tail = rest.get(at..).unwrap_or("");
        let entity = tail
            .get(1..)
            .and_then(|t| t.find(';').filter(|&n| n <= 10).map(|n| &t[..n]));
        let decoded = entity.and_then(|name| match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                let num = name.strip_prefix('#')?;
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse().ok()?,
                };
                char::from_u32(code)
            }
        });
        match (decoded, entity) {
            (Some(c), Some(name)) => {
                out.push(c);
                rest = tail.get(name.len() + 2..).unwrap_or("");
            }
            _ => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr<'e>(e: &'e Element, name: &str) -> &'e str {
        e.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
            .unwrap_or("<none>")
    }

    #[test]
    fn raw_expressions_in_attributes() {
        let doc = r#"<when condition="@(context.Request.Method == "POST" && x < 3 && s.Contains(")"))"/>"#;
        let e = parse_document(doc).unwrap();
        assert_eq!(
            attr(&e, "condition"),
            r#"@(context.Request.Method == "POST" && x < 3 && s.Contains(")"))"#
        );
        assert_eq!(e.attrs[0].value_offset, 17);
    }

    #[test]
    fn interpolation_with_nested_quotes_and_verbatim() {
        let doc = r#"<a k="@($"k-{context.Variables["x"]}-{{lit}}")" v='@(@"a""b" + 'c')'/>"#;
        let e = parse_document(doc).unwrap();
        assert_eq!(attr(&e, "k"), r#"@($"k-{context.Variables["x"]}-{{lit}}")"#);
        assert_eq!(attr(&e, "v"), r#"@(@"a""b" + 'c')"#);
    }

    #[test]
    fn text_blocks_bare_ampersands_entities_and_cdata() {
        let doc = "<r>\n <rewrite-uri template=\"/v2/{a}&{b}?x=&amp;y\" />\n <set-body>@{\n if (a < b && c) { return \"}\"; }\n return \"x\"; }\n </set-body>\n <v>a &lt; b &#x41;<![CDATA[<raw>]]></v><!-- a -- b --></r>";
        let e = parse_document(doc).unwrap();
        let kids: Vec<_> = e.elements().collect();
        assert_eq!(attr(kids[0], "template"), "/v2/{a}&{b}?x=&y");
        let body = kids[1].texts().next().unwrap();
        assert!(body.value.starts_with("@{") && body.value.ends_with('}'));
        assert_eq!(kids[2].texts().next().unwrap().value, "a < b A<raw>");
    }

    #[test]
    fn errors_carry_offsets() {
        let cases = [
            ("<a>", 0),
            ("<a></b>", 3),
            ("<a x=\"@(1\"/>", 9),
            ("<a x=\"@(1) y\"/>", 11),
            ("<a x=1/>", 5),
            ("<a x=\"1\" x=\"2\"/>", 9),
            ("text", 0),
            ("<a/><b/>", 4),
        ];
        for (doc, offset) in cases {
            let e = parse_document(doc).unwrap_err();
            assert_eq!(e.offset, offset, "{doc}: {}", e.message);
        }
    }

    #[test]
    fn prolog_bom_and_comments_are_skipped() {
        let doc = "\u{feff}<?xml version=\"1.0\"?>\n<!-- c --><policies/>\n<!-- tail -->";
        assert_eq!(parse_document(doc).unwrap().name, "policies");
    }

    #[test]
    fn depth_is_bounded() {
        let doc = "<a>".repeat(200) + &"</a>".repeat(200);
        assert!(parse_document(&doc).is_err());
        let expr = format!("<a x=\"@{}1{}\"/>", "(".repeat(400), ")".repeat(400));
        assert!(parse_document(&expr).is_err());
    }

    #[test]
    fn entity_decoding_keeps_unknown_ampersands() {
        assert_eq!(
            decode_entities("a && b &amp; &#38; &bogus; &"),
            "a && b & & &bogus; &"
        );
        assert_eq!(decode_entities("&#xZZ; &#1114112;"), "&#xZZ; &#1114112;");
    }
}
