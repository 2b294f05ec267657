//! Error messages shaped like the runtime's InvalidTemplate texts, and the
//! lazy evaluation of `and`, `or`, `if` and `coalesce`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check, check_err, ctx, ev};
use serde_json::json;
use skybridge_wdl::{ExprError, eval_expression_str};

#[test]
fn missing_property_message_matches_the_runtime() {
    let e = ev("json('{\"schemaId\":1,\"data\":{}}')['context']['portalLink']").unwrap_err();
    assert_eq!(
        e.to_string(),
        "The template language expression 'json('{\"schemaId\":1,\"data\":{}}')['context']['portalLink']' cannot be evaluated because property 'context' doesn't exist, available properties are 'schemaId, data'. Please see https://aka.ms/logicexpressions for usage details."
    );
    assert!(matches!(e, ExprError::PropertyNotFound { .. }));
}

#[test]
fn null_safe_access() {
    check("json('{\"a\":null}')?.a?.b", json!(null));
    check("json('{\"a\":1}')?['missing']", json!(null));
    check("createArray(1,2)?[5]", json!(null));
    check_err(
        "json('{\"a\":null}').a.b",
        "Property selection is not supported on values of type 'Null'",
    );
    check_err(
        "createArray(1,2)[5]",
        "array index '5' is outside bounds (0, 1) of array",
    );
    check_err("'abc'.length", "values of type 'String'");
    check_err("json('{\"a\":1}')?['missing']['x']", "type 'Null'");
}

#[test]
fn case_insensitive_member_access() {
    for (e, v) in [
        ("json('{\"abCDef\": 123}').abcdef", 123),
        ("json('{\"abCDef\": 123}')?.abcdef", 123),
        ("json('{\"abCDef\": 123}').AbcdEF", 123),
        ("json('{\"abCDef\": 123}')['abcdef']", 123),
        ("json('{\"abCDef\": 123}')?['AbcdEF']", 123),
        ("json('{\"a\": 1, \"a\": 2}').a", 2),
        ("json('{\"a\": 1, \"A\": 2}').a", 1),
        ("json('{\"A\": 1, \"a\": 2}').a", 2),
        ("json('{\"a\": 1, \"A\": 2}').A", 2),
        ("json('{\"A\": 1, \"a\": 2}').A", 1),
        ("json('{\"aAa\": 1, \"AaA\": 2}').aaa", 1),
        ("json('{\"AaA\": 1, \"aAa\": 2}').AAA", 1),
    ] {
        check(e, json!(v));
    }
}

#[test]
fn json_keeps_order_and_case_variants() {
    assert_eq!(
        common::tpl("@{json('{\"a\": 1, \"b\": -1, \"a\": 2}')}").unwrap(),
        json!("{\"b\":-1,\"a\":2}")
    );
    assert_eq!(
        common::tpl("@{json('{\"A\": 1, \"a\": 2}')}").unwrap(),
        json!("{\"A\":1,\"a\":2}")
    );
    check("json(null)", json!({}));
}

#[test]
fn runtime_messages() {
    check_err(
        "bool('abc')",
        "The template language function 'bool' was invoked with a parameter that is not valid. The value cannot be converted to the target type.",
    );
    check_err(
        "nope()",
        "The template function 'nope' is not defined or not valid.",
    );
    check_err("add(1)", "expects two parameters");
    check_err("empty()", "expects one parameter");
    check_err(
        "addProperty(json('{}'),'value')",
        "expects three parameters",
    );
    check_err("concat()", "at least one parameter");
    check_err(
        "add('a', 1)",
        "expects its first parameter to be an integer or a decimal number. The provided value is of type 'String'",
    );
    let e = ev("concat('a',").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Unable to parse template language expression 'concat('a','"),
        "{e}"
    );
    let e = ev("concat('a' 'b')").unwrap_err();
    assert!(
        e.to_string()
            .contains("expected token 'RightParenthesis' and actual 'StringLiteral'"),
        "{e}"
    );
    let e = ev("concat(\"a\")").unwrap_err();
    assert!(e.to_string().contains("single quotes"), "{e}");
}

#[test]
fn and_or_short_circuit() {
    check("and(false, int('blkadokg'))", json!(false));
    check_err("and(int('blkadokg'), false)", "Could not parse 'blkadokg'");
    check("and(false, faweorawoekjf())", json!(false));
    check("and(and(and(true,false),true),nope())", json!(false));
    check_err(
        "and(and(and(true,true),true),nope())",
        "The template function 'nope' is not defined or not valid",
    );
    check("or(true, int('blkadokg'))", json!(true));
    check("or(or(or(false,false),true),nope())", json!(true));
    check_err(
        "or(or(or(false,false),false),nope())",
        "'nope' is not defined",
    );
    check("and(true)", json!(true));
    check("or(false)", json!(false));
    check(
        "and(true,true,true,true,true,true,true,true,false)",
        json!(false),
    );
    check("or(false,false,false,true,false)", json!(true));
    check_err("and()", "at least one parameter");
    check_err("or()", "at least one parameter");
    check_err(
        "and(1, true)",
        "expects its first parameter to be a boolean",
    );
}

#[test]
fn if_evaluates_one_branch() {
    check("if(true,1,throwMeAnError())", json!(1));
    check("if(false,throwMeAnError(),2)", json!(2));
    check_err(
        "if(true,throwMeAnError(),2)",
        "'throwMeAnError' is not defined",
    );
    check_err(
        "if(if(true,false,true),if(true,throwMeAnError(),throwAnotherError()),if(true,secretThirdError(),4))",
        "'secretThirdError'",
    );
    check_err(
        "if(if(false,false,true),if(false,throwMeAnError(),throwAnotherError()),if(false,secretThirdError(),4))",
        "'throwAnotherError'",
    );
    check(
        "if(if(true,false,true),if(false,1,2),if(false,3,4))",
        json!(4),
    );
    check_err("if('yes',1,2)", "to be a boolean");
}

#[test]
fn coalesce_short_circuits() {
    check("coalesce(null)", json!(null));
    check("coalesce(true)", json!(true));
    check_err("coalesce()", "at least one parameter");
    check("coalesce(null,'x')", json!("x"));
    check("coalesce('x',null)", json!("x"));
    check(
        "coalesce(null,null,null,null,null,null,null,'hi',null)",
        json!("hi"),
    );
    check("coalesce('hi',FakeFunctionWhichErrors())", json!("hi"));
    check_err(
        "coalesce(null,FakeFunctionWhichErrors())",
        "'FakeFunctionWhichErrors' is not defined",
    );
    check("coalesce('', 'x')", json!(""));
    check("coalesce(json('[]'), 'x')", json!([]));
}

#[test]
fn workflow_functions_report_missing_state() {
    let c = ctx(json!({"parameters": {"Name": "x"}, "variables": {"Counter": 1}}));
    assert_eq!(
        eval_expression_str("parameters('name')", &c).unwrap(),
        json!("x")
    );
    assert_eq!(
        eval_expression_str("variables('COUNTER')", &c).unwrap(),
        json!(1)
    );
    let e = eval_expression_str("parameters('nope')", &c).unwrap_err();
    assert!(
        e.to_string()
            .contains("The workflow parameter 'nope' is not found"),
        "{e}"
    );
    assert!(eval_expression_str("body('Missing')", &c).is_err());
    assert!(eval_expression_str("item()", &c).is_err());
    assert!(eval_expression_str("triggerBody()", &c).is_err());
    assert!(skybridge_wdl::MapContext::from_json(json!([1])).is_err());
    assert!(skybridge_wdl::MapContext::from_json(json!({"utcNow": "not a time"})).is_err());
}
