//! Parser tests.
use super::*;
use crate::expr::ast::Stmt;

fn expr(src: &str) -> Expr {
    match parse_code(&format!("@({src})"), 0).unwrap() {
        Code::Expr(e) => e,
        Code::Block(_) => unreachable!(),
    }
}

#[test]
fn precedence_and_casts() {
    let e = expr(r#"(string)context.Variables["a"] == "x" && !b || c ?? d"#);
    let ExprKind::Binary(BinOp::Coalesce, lhs, _) = &e.kind else {
        panic!("{e:?}")
    };
    let ExprKind::Binary(BinOp::Or, and, _) = &lhs.kind else {
        panic!()
    };
    let ExprKind::Binary(BinOp::And, eq, _) = &and.kind else {
        panic!()
    };
    let ExprKind::Binary(BinOp::Eq, cast, _) = &eq.kind else {
        panic!()
    };
    assert!(matches!(cast.kind, ExprKind::Cast(TypeName::String, _)));
    // A parenthesised non-type is not a cast.
    assert!(matches!(
        expr("(a) + 1").kind,
        ExprKind::Binary(BinOp::Add, _, _)
    ));
    assert!(matches!(
        expr("(Jwt)x").kind,
        ExprKind::Cast(TypeName::Jwt, _)
    ));
}

#[test]
fn generics_named_args_and_null_conditionals() {
    let e = expr("context.Request.Body.As<JObject>(preserveContent: true)?[\"a\"]");
    let ExprKind::Index {
        target, cond: true, ..
    } = &e.kind
    else {
        panic!("{e:?}")
    };
    let ExprKind::Call {
        method,
        generic,
        args,
        ..
    } = &target.kind
    else {
        panic!()
    };
    assert_eq!(method, "As");
    assert_eq!(*generic, Some(TypeName::JObject));
    assert_eq!(args[0].name.as_deref(), Some("preserveContent"));
    let e = expr("x.GetValueOrDefault<string[]>(\"k\")");
    assert!(matches!(
        e.kind,
        ExprKind::Call {
            generic: Some(TypeName::StringArray),
            ..
        }
    ));
    // `a < b > c` is not a generic.
    assert!(parse_code("@(a < b)", 0).is_ok());
}

#[test]
fn blocks() {
    let code = parse_code(
        "@{ var t = context.Request.Headers.GetValueOrDefault(\"A\", \"\"); string u = t; if (t.Length > 3) { return t.Substring(0, 3); } else return u; }",
        0,
    )
    .unwrap();
    let Code::Block(stmts) = code else { panic!() };
    assert_eq!(stmts.len(), 3);
    assert!(matches!(
        &stmts[1],
        Stmt::Decl {
            ty: Some(TypeName::String),
            ..
        }
    ));
    assert!(matches!(&stmts[2], Stmt::If { els, .. } if els.len() == 1));
}

#[test]
fn unsupported_constructs_name_a_position() {
    for (src, at) in [
        ("@(new JObject())", 2),
        ("@(x.Select(a => a))", 13),
        ("@{ foreach (var a in b) { } return 1; }", 3),
        ("@(a & b)", 4),
        ("@(typeof(string))", 2),
        ("@(1 +)", 5),
        ("@(a b)", 4),
    ] {
        let e = parse_code(src, 0).unwrap_err();
        assert_eq!(e.offset, at, "{src}: {}", e.message);
    }
}

#[test]
fn long_chains_and_nested_interpolations_are_bounded() {
    let chain = format!("@(a{})", ".b".repeat(20_000));
    assert!(parse_code(&chain, 0).is_err());
    let sum = format!("@(1{})", " + 1".repeat(20_000));
    assert!(parse_code(&sum, 0).is_err());
    let calls = format!("@(x{})", ".F(1)".repeat(5_000));
    assert!(parse_code(&calls, 0).is_err());
    let mut interp = "1".to_owned();
    for _ in 0..500 {
        interp = format!("$\"{{{interp}}}\"");
    }
    assert!(parse_code(&format!("@({interp})"), 0).is_err());
    // Realistic sizes stay fine.
    assert!(parse_code(&format!("@(a{})", ".b".repeat(100)), 0).is_ok());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = format!("@({}1{})", "(".repeat(500), ")".repeat(500));
    assert!(parse_code(&src, 0).is_err());
    let src = format!("@({}1)", "!".repeat(500));
    assert!(parse_code(&src, 0).is_err());
}

#[test]
fn arrays_and_interpolation() {
    let e = expr("s.Split(new[] {',', ';'})");
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!()
    };
    assert!(matches!(&args[0].value.kind, ExprKind::Array(items) if items.len() == 2));
    let e = expr(r#"$"a{b + 1}c""#);
    assert!(matches!(&e.kind, ExprKind::Interp(parts) if parts.len() == 3));
}
