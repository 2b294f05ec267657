//! Robustness: parsing and evaluating arbitrary input never panics, and
//! hostile nesting is refused with an error instead of overflowing the stack.
//! A small deterministic PRNG keeps the runs reproducible without extra
//! dependencies.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{Value, json};
use skybridge_wdl::{
    MapContext, eval_expression_str, eval_template_str, evaluate_template, function_names, parse,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

fn reference_context() -> (MapContext, Vec<String>) {
    let data: Value = serde_json::from_str(include_str!("data/reference_examples.json")).unwrap();
    let texts = data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.get("expr").or(c.get("template")).and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    (
        MapContext::from_json(data["context"].clone()).unwrap(),
        texts,
    )
}

#[test]
fn truncated_reference_inputs_never_panic() {
    let (ctx, texts) = reference_context();
    for text in &texts {
        for (i, _) in text.char_indices() {
            let prefix = &text[..i];
            let _ = parse(prefix);
            let _ = eval_expression_str(prefix, &ctx);
            let _ = eval_template_str(&format!("@{prefix}"), &ctx);
            let _ = eval_template_str(&format!("x @{{{prefix}"), &ctx);
        }
    }
}

#[test]
fn random_token_soup_never_panics() {
    const TOKENS: &[&str] = &[
        "(",
        ")",
        "[",
        "]",
        ".",
        "?",
        ",",
        "'",
        "''",
        "@",
        "{",
        "}",
        " ",
        "0",
        "1",
        "-",
        "+",
        "e",
        "9223372036854775807",
        "1.5",
        "concat",
        "json",
        "xml",
        "'a'",
        "null",
        "true",
        "?.",
        "?[",
        "\"",
        "é",
        "😀",
        "createArray",
        "body",
        "item",
        "xpath",
        "'<a/>'",
    ];
    let (ctx, _) = reference_context();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let n = 1 + rng.next() % 12;
        let s: String = (0..n).map(|_| *rng.pick(TOKENS)).collect();
        let _ = parse(&s);
        let _ = eval_expression_str(&s, &ctx);
        let _ = eval_template_str(&s, &ctx);
    }
}

#[test]
fn random_calls_with_odd_arguments_never_panic() {
    const ARGS: &[&str] = &[
        "null",
        "0",
        "-1",
        "1",
        "2",
        "1.5",
        "-0.0",
        "1e308",
        "9223372036854775807",
        "-9223372036854775808",
        "''",
        "'abc'",
        "'😀x'",
        "'2018-01-01T00:00:00Z'",
        "'D'",
        "'o'",
        "'Day'",
        "'Month'",
        "'UTC'",
        "'Pacific Standard Time'",
        "'de-DE'",
        "'#,##0.00;(0);z'",
        "'E+0'",
        "'%'",
        "'data:,x'",
        "'https://a.b:1/c?d'",
        "createArray(1,'a',null)",
        "json('{\"a\":{\"b\":[1,2]}}')",
        "xml('<a x=\"1\"><b>t</b></a>')",
        "binary('x')",
        "decimal('79228162514264337593543950335')",
        "decimal('-0.0000000000000000000000000001')",
        "'//b'",
        "'sum(//b)'",
        "'abc,def'",
        "','",
        "'yyyy-MM-ddTHH:mm:ss.FFFFFFFK'",
        "float('NaN')",
        "float('Infinity','')",
        "'F999'",
        "'X'",
        "'N'",
        "-100001",
        "100000",
    ];
    let (ctx, _) = reference_context();
    let names = function_names();
    let mut rng = Rng(42);
    for _ in 0..40_000 {
        let f = *rng.pick(&names);
        let argc = rng.next() % 5;
        let args: Vec<String> = (0..argc)
            .map(|_| {
                if rng.next().is_multiple_of(4) {
                    let g = *rng.pick(&names);
                    format!("{g}({})", rng.pick(ARGS))
                } else {
                    (*rng.pick(ARGS)).to_owned()
                }
            })
            .collect();
        let expr = format!("{f}({})", args.join(","));
        let _ = eval_expression_str(&expr, &ctx);
    }
}

#[test]
fn hostile_nesting_is_refused() {
    let deep_calls = format!("{}1{}", "concat(".repeat(10_000), ")".repeat(10_000));
    assert!(parse(&deep_calls).is_err());
    let deep_index = format!("createArray(1){}", "[0]".repeat(50_000));
    let _ = common::ev(&deep_index);
    let long_chain = format!("json('{{}}'){}", "?.a".repeat(100_000));
    assert_eq!(common::ev(&long_chain).unwrap(), json!(null));
    let deep_brackets = format!("createArray(1){}0{}", "[".repeat(5_000), "]".repeat(5_000));
    assert!(parse(&deep_brackets).is_err());
    let deep_json = format!("json('{}{}')", "[".repeat(100_000), "]".repeat(100_000));
    assert!(common::ev(&deep_json).is_err());
    let deep_xml = format!("xml('{}{}')", "<a>".repeat(5_000), "</a>".repeat(5_000));
    let _ = common::ev(&deep_xml);
    let deep_xpath = format!(
        "xpath(xml('<a/>'), '{}1{}')",
        "(".repeat(5_000),
        ")".repeat(5_000)
    );
    assert!(common::ev(&deep_xpath).is_err());
    let many = "@{'x'}".repeat(20_000);
    assert_eq!(common::tpl(&many).unwrap().as_str().unwrap().len(), 20_000);
}

#[test]
fn deep_templates_are_refused() {
    let mut v = json!("@add(1,1)");
    // 1,000 levels: deeper values overflow serde_json's own recursive drop.
    for _ in 0..1_000 {
        v = json!([v]);
    }
    assert!(evaluate_template(&v, &skybridge_wdl::EmptyContext).is_err());
    let (ctx, _) = reference_context();
    let big = Value::Array((0..1000).map(|i| json!(format!("@{{{i}}}"))).collect());
    assert_eq!(
        evaluate_template(&big, &ctx)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1000
    );
}

#[test]
fn xpath_operator_chains_are_bounded() {
    let chain = format!("xpath(xml('<a/>'), '1{}')", "+1".repeat(10_000));
    assert!(common::ev(&chain).is_err());
    let negs = format!("xpath(xml('<a/>'), '{}1')", "-".repeat(10_000));
    assert!(common::ev(&negs).is_err());
    assert!(common::ev("mod(decimal('79228162514264337593543950335'), decimal('0.0000000000000000000000000001'))").is_err());
    assert!(common::ev("addToTime('2018-01-01', 9223372036854775807, 'Month')").is_err());
}
