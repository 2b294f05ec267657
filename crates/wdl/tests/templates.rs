//! Template rules and literal parsing, from the WDL schema doc and the
//! runtime behaviour recorded in the research note (§7.1–7.3).
#![allow(clippy::unwrap_used)]

mod common;

use common::{check, check_tpl, ctx, tpl};
use serde_json::json;
use skybridge_wdl::{EmptyContext, evaluate_template, is_template_string, parse};

#[test]
fn literal_strings_pass_through() {
    for s in [
        "str", "1", "null", "[]", "{}", "", " @@,,}", " @,,}", "@", "array[1]", " @",
    ] {
        assert_eq!(tpl(s).unwrap(), json!(s), "{s:?}");
    }
}

#[test]
fn double_at_escapes_the_whole_string() {
    for s in [
        "@@unparsed!",
        "@@{still unparsed}",
        "@@,,}",
        "@@{'abc'}@{'def'}@@{'ghi'}j@{'kl'}",
    ] {
        assert_eq!(tpl(s).unwrap(), json!(&s[1..]), "{s:?}");
    }
}

#[test]
fn whole_expressions_keep_their_type() {
    assert_eq!(tpl("@null").unwrap(), json!(null));
    assert_eq!(tpl("@true").unwrap(), json!(true));
    assert_eq!(tpl("@false").unwrap(), json!(false));
    for (e, v) in [("@1", 1), ("@-51", -51), ("@+54", 54)] {
        assert_eq!(tpl(e).unwrap(), json!(v), "{e}");
    }
    for (e, v) in [
        ("@0.5", 0.5),
        ("@+.5", 0.5),
        ("@+1.", 1.0),
        ("@+15.75", 15.75),
        ("@-01.0", -1.0),
        ("@3e1", 30.0),
        ("@3.2e1", 32.0),
        ("@0.9e+1", 9.0),
        ("@3.2e-1", 0.32),
    ] {
        let got = tpl(e).unwrap();
        assert!(got.is_f64(), "{e} should be a double, got {got}");
        assert_eq!(got.as_f64().unwrap(), v, "{e}");
    }
}

#[test]
fn interpolation_always_gives_strings() {
    for (e, s) in [
        ("@{1}", "1"),
        ("@{-51}", "-51"),
        ("@{+54}", "54"),
        ("@{3e1}", "30"),
        ("@{+1.}", "1"),
        ("@{0.5}", "0.5"),
        ("@{+.5}", "0.5"),
        ("@{+15.75}", "15.75"),
        ("@{-01.0}", "-1"),
        ("@{3.2e1}", "32"),
        ("@{0.9e+1}", "9"),
        ("@{3.2e-1}", "0.32"),
        ("@{true}", "True"),
        ("@{false}", "False"),
        ("@{null}", ""),
        ("@{'test'}", "test"),
        ("@{'don''t worry'}", "don't worry"),
        ("foo @{'bar'} baz", "foo bar baz"),
        ("@{'h'}@{'e'}@{'l'}@{'l'}@{'o'}", "hello"),
        ("@{'hello'} @{'world'}", "hello world"),
        ("testing @@{'blah'} @{'thing'}", "testing @{'blah'} thing"),
        ("@{createArray(1, 'a', null)}", "[1,\"a\",null]"),
        ("@{json('{\"f\":5.0}')}", "{\"f\":5.0}"),
        ("text/@{concat('a','b')}/text", "text/ab/text"),
        ("@{ '}' }", "}"),
    ] {
        check_tpl(e, s);
    }
}

#[test]
fn string_literals() {
    check("'test'", json!("test"));
    check("'don''t worry'", json!("don't worry"));
    check("''", json!(""));
}

#[test]
fn unparseable_templates_fail() {
    for s in [
        "@'a','b','c'",
        "@{'a','b','c'}",
        "@'a'}",
        "@{'a'",
        " @{",
        "@()",
        "@{()}",
        "@{}",
        "@concat",
        "@{concat}",
        "@concat('a','b')('c')",
        "@{concat('a','b')('c')}",
        "@+",
        "@{+}",
        "@+1e",
        "@{+1e}",
        "@1e",
        "@1e+",
        "@1e1.1",
        "@{1e1.1}",
        "@++1",
        "@--1",
        "@string( { \"name\": \"Sophie Owen\" } )",
        "@{18446744073709551615}",
        "@{9223372036854775808}",
        "@{-9223372036854775809}",
    ] {
        assert!(tpl(s).is_err(), "{s:?} should not parse");
    }
}

#[test]
fn integer_limits() {
    check_tpl("@{9223372036854775807}", "9223372036854775807");
    check_tpl("@{-9223372036854775808}", "-9223372036854775808");
    check_tpl("@{9223372036854775809.5}", "9.223372036854776E+18");
    check_tpl("@{-9223372036854775809.5}", "-9.223372036854776E+18");
}

#[test]
fn function_names_ignore_case() {
    check("ADD(INT('123'),INT('456'))", json!(579));
    check("toUPPER('a')", json!("A"));
}

#[test]
fn templates_walk_json_and_skip_keys() {
    let c = ctx(json!({"parameters": {"n": 2}, "variables": {"who": "Ann"}}));
    let t = json!({
        "@keys-are-not-evaluated": "@parameters('n')",
        "list": ["@add(parameters('n'), 1)", "Hi @{variables('who')}", 5, null, true],
        "nested": {"deep": ["@@literal", "@{parameters('n')}"]}
    });
    let out = evaluate_template(&t, &c).unwrap();
    assert_eq!(
        out,
        json!({
            "@keys-are-not-evaluated": 2,
            "list": [3, "Hi Ann", 5, null, true],
            "nested": {"deep": ["@literal", "2"]}
        })
    );
}

#[test]
fn is_template_string_matches_the_rules() {
    assert!(is_template_string("@add(1,2)"));
    assert!(is_template_string("a @{b} c"));
    assert!(!is_template_string("plain"));
    assert!(!is_template_string("@"));
    let e = parse("add(1, 2)").unwrap();
    assert_eq!(
        skybridge_wdl::eval_parsed(&e, "add(1, 2)", &EmptyContext).unwrap(),
        json!(3)
    );
    let bad = parse("json('{}').x").unwrap();
    let msg = skybridge_wdl::eval_parsed(&bad, "json('{}').x", &EmptyContext)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("'json('{}').x'"), "{msg}");
    assert_eq!(
        evaluate_template(&json!(1), &EmptyContext).unwrap(),
        json!(1)
    );
}
