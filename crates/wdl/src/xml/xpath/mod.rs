//! XPath 1.0 for `xpath()`: a parser here and an evaluator in `eval.rs`.
//!
//! The runtime uses .NET's XPath library; we implement the XPath 1.0 core:
//! all axes in abbreviated and `axis::` form, name/`*`/`text()`/`node()`/
//! `comment()` tests, predicates, unions, the operators, and the core
//! function library. Node sets are returned as arrays (observed: even a
//! single match comes back as a one-element array): elements as XML content
//! envelopes, text and attribute nodes as strings. Numbers are doubles.

mod eval;
mod functions;

pub(crate) use eval::evaluate;

/// Deepest nesting of parentheses, predicates and function calls.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Attribute,
    Itself,
    Parent,
    Ancestor,
    AncestorOrSelf,
    FollowingSibling,
    PrecedingSibling,
    Following,
    Preceding,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    Name(String),
    Any,
    Text,
    Node,
    Comment,
    Pi,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub(crate) axis: Axis,
    pub(crate) test: Test,
    pub(crate) preds: Vec<XExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Start {
    Root,
    Context,
    Filter(Box<XExpr>, Vec<XExpr>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum XExpr {
    Binary(String, Box<XExpr>, Box<XExpr>),
    Neg(Box<XExpr>),
    Num(f64),
    Str(String),
    Func(String, Vec<XExpr>),
    Path(Start, Vec<Step>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Sym(&'static str),
    Name(String),
    Lit(String),
    Num(f64),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    const SYMS: [&str; 19] = [
        "//", "::", "..", "!=", "<=", ">=", "(", ")", "[", "]", ".", "@", ",", "/", "|", "+", "-",
        "=", "*",
    ];
    let mut out = Vec::new();
    let mut rest = s;
    'outer: while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '<' || c == '>' {
            let two = rest.starts_with("<=") || rest.starts_with(">=");
            out.push(Tok::Sym(match (c, two) {
                ('<', true) => "<=",
                ('>', true) => ">=",
                ('<', false) => "<",
                _ => ">",
            }));
            rest = &rest[if two { 2 } else { 1 }..];
            continue;
        }
        if c == '\'' || c == '"' {
            let end = rest[1..]
                .find(c)
                .ok_or("unterminated string literal in XPath")?;
            out.push(Tok::Lit(rest[1..1 + end].to_owned()));
            rest = &rest[end + 2..];
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
            let n = rest
                .find(|d: char| !(d.is_ascii_digit() || d == '.'))
                .unwrap_or(rest.len());
            out.push(Tok::Num(
                rest[..n].parse().map_err(|_| "invalid number in XPath")?,
            ));
            rest = &rest[n..];
            continue;
        }
        for sym in SYMS {
            if rest.starts_with(sym) {
                out.push(Tok::Sym(sym));
                rest = &rest[sym.len()..];
                continue 'outer;
            }
        }
        if c.is_alphabetic() || c == '_' {
            let mut n = rest
                .find(|d: char| !(d.is_alphanumeric() || d == '_' || d == '-' || d == '.'))
                .unwrap_or(rest.len());
            // A QName prefix (`p:name`), but not an axis separator (`::`).
            if rest[n..].starts_with(':') && !rest[n..].starts_with("::") {
                let tail = &rest[n + 1..];
                let m = tail
                    .find(|d: char| {
                        !(d.is_alphanumeric() || d == '_' || d == '-' || d == '.' || d == '*')
                    })
                    .unwrap_or(tail.len());
                n += 1 + m;
            }
            out.push(Tok::Name(rest[..n].to_owned()));
            rest = &rest[n..];
            continue;
        }
        return Err(format!("unexpected character '{c}' in XPath"));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn axis_named(name: &str) -> Option<Axis> {
    Some(match name {
        "child" => Axis::Child,
        "descendant" => Axis::Descendant,
        "descendant-or-self" => Axis::DescendantOrSelf,
        "attribute" => Axis::Attribute,
        "self" => Axis::Itself,
        "parent" => Axis::Parent,
        "ancestor" => Axis::Ancestor,
        "ancestor-or-self" => Axis::AncestorOrSelf,
        "following-sibling" => Axis::FollowingSibling,
        "preceding-sibling" => Axis::PrecedingSibling,
        "following" => Axis::Following,
        "preceding" => Axis::Preceding,
        _ => return None,
    })
}

/// Parses an XPath expression.
pub(crate) fn parse(s: &str) -> Result<XExpr, String> {
    let mut p = Parser {
        toks: tokenize(s)?,
        pos: 0,
    };
    let e = p.expr(0)?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected token in XPath '{s}'"));
    }
    Ok(e)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }

    fn name_is(&self, n: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(x)) if x == n)
    }

    fn expect(&mut self, s: &str) -> Result<(), String> {
        if self.sym(s) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{s}' in XPath"))
        }
    }

    fn expr(&mut self, depth: usize) -> Result<XExpr, String> {
        if depth > MAX_DEPTH {
            return Err("XPath expression nested too deeply".to_owned());
        }
        self.binary(0, depth)
    }

    /// Precedence climbing over the binary operator levels.
    fn binary(&mut self, level: usize, depth: usize) -> Result<XExpr, String> {
        const LEVELS: [&[&str]; 6] = [
            &["or"],
            &["and"],
            &["=", "!="],
            &["<", "<=", ">", ">="],
            &["+", "-"],
            &["*", "div", "mod"],
        ];
        if level == LEVELS.len() {
            return self.unary(depth);
        }
        let mut left = self.binary(level + 1, depth)?;
        // Left-associative chains nest the tree; bound them like nesting.
        let mut chained = 0;
        loop {
            let op = LEVELS[level].iter().find(|op| match self.peek() {
                Some(Tok::Sym(s)) => s == *op,
                Some(Tok::Name(n)) => n == *op && matches!(**op, "or" | "and" | "div" | "mod"),
                _ => false,
            });
            let Some(op) = op else { return Ok(left) };
            chained += 1;
            if chained > MAX_DEPTH {
                return Err("XPath expression has too many chained operators".to_owned());
            }
            self.pos += 1;
            let right = self.binary(level + 1, depth)?;
            left = XExpr::Binary((*op).to_owned(), Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self, depth: usize) -> Result<XExpr, String> {
        if depth > MAX_DEPTH {
            return Err("XPath expression nested too deeply".to_owned());
        }
        if self.sym("-") {
            self.pos += 1;
            return Ok(XExpr::Neg(Box::new(self.unary(depth + 1)?)));
        }
        let mut left = self.path(depth)?;
        let mut chained = 0;
        while self.sym("|") {
            chained += 1;
            if chained > MAX_DEPTH {
                return Err("XPath expression has too many unions".to_owned());
            }
            self.pos += 1;
            let right = self.path(depth)?;
            left = XExpr::Binary("|".to_owned(), Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn is_function_call(&self) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if !matches!(n.as_str(), "text" | "node" | "comment" | "processing-instruction"))
            && matches!(self.toks.get(self.pos + 1), Some(Tok::Sym("(")))
    }

    fn path(&mut self, depth: usize) -> Result<XExpr, String> {
        let primary = match self.peek() {
            Some(Tok::Lit(s)) => Some(XExpr::Str(s.clone())),
            Some(Tok::Num(n)) => Some(XExpr::Num(*n)),
            Some(Tok::Sym("(")) => None,
            _ if self.is_function_call() => None,
            _ => {
                // A location path.
                let start = if self.sym("/") || self.sym("//") {
                    Start::Root
                } else {
                    Start::Context
                };
                let mut steps = Vec::new();
                if self.sym("/") {
                    self.pos += 1;
                    if !self.starts_step() {
                        return Ok(XExpr::Path(start, steps));
                    }
                }
                self.steps(&mut steps, depth)?;
                return Ok(XExpr::Path(start, steps));
            }
        };
        let base = match primary {
            Some(p) => {
                self.pos += 1;
                p
            }
            None if self.sym("(") => {
                self.pos += 1;
                let e = self.expr(depth + 1)?;
                self.expect(")")?;
                e
            }
            None => {
                let Some(Tok::Name(name)) = self.peek().cloned() else {
                    return Err("expected a function name in XPath".to_owned());
                };
                self.pos += 2;
                let mut args = Vec::new();
                if !self.sym(")") {
                    loop {
                        args.push(self.expr(depth + 1)?);
                        if self.sym(",") {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect(")")?;
                XExpr::Func(name, args)
            }
        };
        let preds = self.predicates(depth)?;
        if !(self.sym("/") || self.sym("//")) {
            if preds.is_empty() {
                return Ok(base);
            }
            return Ok(XExpr::Path(
                Start::Filter(Box::new(base), preds),
                Vec::new(),
            ));
        }
        let mut steps = Vec::new();
        self.steps(&mut steps, depth)?;
        Ok(XExpr::Path(Start::Filter(Box::new(base), preds), steps))
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(Tok::Name(_)) | Some(Tok::Sym("*" | "." | ".." | "@"))
        )
    }

    /// Reads `step (('/' | '//') step)*`, where a leading separator may
    /// already have been consumed.
    fn steps(&mut self, steps: &mut Vec<Step>, depth: usize) -> Result<(), String> {
        loop {
            if self.sym("//") {
                self.pos += 1;
                steps.push(Step {
                    axis: Axis::DescendantOrSelf,
                    test: Test::Node,
                    preds: Vec::new(),
                });
            } else if self.sym("/") {
                self.pos += 1;
            }
            steps.push(self.step(depth)?);
            if !(self.sym("/") || self.sym("//")) {
                return Ok(());
            }
        }
    }

    fn step(&mut self, depth: usize) -> Result<Step, String> {
        if self.sym(".") || self.sym("..") {
            let parent = self.sym("..");
            self.pos += 1;
            return Ok(Step {
                axis: if parent { Axis::Parent } else { Axis::Itself },
                test: Test::Node,
                preds: Vec::new(),
            });
        }
        let mut axis = Axis::Child;
        if self.sym("@") {
            self.pos += 1;
            axis = Axis::Attribute;
        } else if let Some(Tok::Name(n)) = self.peek()
            && matches!(self.toks.get(self.pos + 1), Some(Tok::Sym("::")))
        {
            axis = axis_named(n).ok_or_else(|| format!("unknown XPath axis '{n}'"))?;
            self.pos += 2;
        }
        let test = match self.peek().cloned() {
            Some(Tok::Sym("*")) => {
                self.pos += 1;
                Test::Any
            }
            Some(Tok::Name(n)) => {
                self.pos += 1;
                let kind = match n.as_str() {
                    "text" => Some(Test::Text),
                    "node" => Some(Test::Node),
                    "comment" => Some(Test::Comment),
                    "processing-instruction" => Some(Test::Pi),
                    _ => None,
                };
                match kind {
                    Some(k) if self.sym("(") => {
                        self.pos += 1;
                        if let Some(Tok::Lit(_)) = self.peek() {
                            self.pos += 1;
                        }
                        self.expect(")")?;
                        k
                    }
                    _ => Test::Name(n),
                }
            }
            _ => return Err("expected a node test in XPath".to_owned()),
        };
        let preds = self.predicates(depth)?;
        Ok(Step { axis, test, preds })
    }

    fn predicates(&mut self, depth: usize) -> Result<Vec<XExpr>, String> {
        let mut preds = Vec::new();
        while self.sym("[") {
            self.pos += 1;
            preds.push(self.expr(depth + 1)?);
            self.expect("]")?;
        }
        let _ = self.name_is("");
        Ok(preds)
    }
}
