//! Load errors name file:line:col and the offending name; nothing is silently skipped.

use serde_json::json;

use super::fixture::{config, harness, try_harness};

fn errors_of(policy: &str) -> Vec<String> {
    match try_harness(config(policy)) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn single(policy: &str) -> String {
    let e = errors_of(policy);
    assert_eq!(e.len(), 1, "{e:#?}");
    e[0].clone()
}

#[test]
fn unknown_policy_attribute_and_child() {
    let p = "<policies>\n  <inbound>\n    <base/>\n    <set-haeder name=\"x\"/>\n  </inbound>\n</policies>";
    assert_eq!(
        single(p),
        "inline:api:orders:4:5: unknown policy <set-haeder>"
    );
    let p =
        "<policies><inbound>\n<set-header name=\"x\" exist-action=\"skip\"/></inbound></policies>";
    assert_eq!(
        single(p),
        r#"inline:api:orders:2:22: unknown attribute "exist-action" on <set-header>"#
    );
    let p =
        "<policies><inbound><set-header name=\"x\"><val>1</val></set-header></inbound></policies>";
    assert_eq!(
        single(p),
        "inline:api:orders:1:41: unknown element <val> inside <set-header>"
    );
    let p = "<policies><inbound/><frontend/></policies>";
    assert_eq!(
        single(p),
        "inline:api:orders:1:21: unknown element <frontend> inside <policies>"
    );
}

#[test]
fn unsupported_expression_members_are_reported_with_position() {
    let p = "<policies><inbound>\n  <set-variable name=\"a\" value=\"@(context.Request.Headrs.Count)\" /></inbound></policies>";
    assert_eq!(
        single(p),
        "inline:api:orders:2:50: expression: 'Headrs' is not a supported member of IRequest"
    );
    let p = "<policies><inbound><set-body>@{\n  var x = 1;\n  return x.Frob();\n}</set-body></inbound></policies>";
    let e = single(p);
    assert!(
        e.starts_with("inline:api:orders:3:11: expression: 'Frob' is not a supported method"),
        "{e}"
    );
    let p = r#"<policies><inbound><set-variable name="a" value="@(new JObject())"/></inbound></policies>"#;
    assert!(single(p).contains("object creation ('new JObject') is not supported"));
}

#[test]
fn placement_values_and_unsupported_features() {
    let cases = [
        (
            "<policies><outbound><validate-jwt header-name=\"a\"><issuer-signing-keys><key>AAAA</key></issuer-signing-keys></validate-jwt></outbound></policies>",
            "<validate-jwt> is not allowed in the outbound section",
        ),
        (
            "<policies><inbound><forward-request/></inbound></policies>",
            "<forward-request> is not allowed in the inbound section",
        ),
        (
            "<policies><inbound><set-header name=\"a\" exists-action=\"replace\"/></inbound></policies>",
            "expected override, skip, append or delete",
        ),
        (
            "<policies><inbound><rate-limit-by-key calls=\"x\" renewal-period=\"60\" counter-key=\"k\"/></inbound></policies>",
            "expected an integer",
        ),
        (
            "<policies><inbound><rate-limit-by-key calls=\"1\" renewal-period=\"600\" counter-key=\"k\"/></inbound></policies>",
            "must be 1 to 300 seconds",
        ),
        (
            "<policies><inbound><rate-limit-by-key calls=\"1\" renewal-period=\"60\"/></inbound></policies>",
            "requires attribute \"counter-key\"",
        ),
        (
            "<policies><inbound><set-body template=\"liquid\">{{body.x}}</set-body></inbound></policies>",
            "not supported: set-body template=\"liquid\"",
        ),
        (
            "<policies><inbound><validate-jwt header-name=\"a\" require-signed-tokens=\"false\"><issuer-signing-keys><key>AAAA</key></issuer-signing-keys></validate-jwt></inbound></policies>",
            "not supported: require-signed-tokens",
        ),
        (
            "<policies><inbound><validate-jwt header-name=\"a\"/></inbound></policies>",
            "requires a <openid-config or issuer-signing-keys> element",
        ),
        (
            "<policies><inbound><validate-jwt header-name=\"a\" query-parameter-name=\"b\"><issuer-signing-keys><key>AAAA</key></issuer-signing-keys></validate-jwt></inbound></policies>",
            "specify exactly one of",
        ),
        (
            "<policies><inbound><authentication-managed-identity resource=\"r\" client-id=\"@(1)\"/></inbound></policies>",
            "policy expressions are not allowed here",
        ),
        (
            "<policies><inbound><choose><when condition=\"@(true)\"><base/></when></choose></inbound></policies>",
            "<base/> is only allowed directly inside a section",
        ),
        (
            "<policies><inbound><choose><otherwise/></choose></inbound></policies>",
            "<choose> requires a <when> element",
        ),
        (
            "<policies><inbound><ip-filter action=\"allow\"><address>1.2.3</address></ip-filter></inbound></policies>",
            "\"1.2.3\" is not an IP address",
        ),
        (
            "<policies><inbound><cors><allowed-origins><origin>example.com</origin></allowed-origins></cors></inbound></policies>",
            "is not * or scheme://host[:port]",
        ),
        (
            "<policies><inbound><set-header name=\"a\"><value>{{missing}}</value></set-header></inbound></policies>",
            "unknown named value {{missing}}",
        ),
        (
            "<policies><inbound><include-fragment fragment-id=\"nope\"/></inbound></policies>",
            "fragment \"nope\": no such fragment",
        ),
        (
            "<policies><inbound><set-backend-service backend-id=\"nope\"/></inbound></policies>",
            "no backend named \"nope\"",
        ),
        (
            "<policies><inbound><when condition=\"@(context.Request.Method == \"GET\")\"/></inbound></policies>",
            "unknown policy <when>",
        ),
        (
            "<policies><inbound><set-variable name=\"a\" value=\"@(1\"/></inbound></policies>",
            "syntax error",
        ),
    ];
    for (policy, needle) in cases {
        let e = errors_of(policy);
        assert!(
            e.iter().any(|m| m.contains(needle)),
            "{policy}\n  wanted {needle:?}\n  got {e:#?}"
        );
        assert!(
            e.iter().all(|m| m.starts_with("inline:api:orders:")),
            "{e:#?}"
        );
    }
}

#[test]
fn all_errors_are_reported_at_once() {
    let p = "<policies><inbound><a/><set-header name=\"x\" bogus=\"1\"/><b/></inbound><outbound><c/></outbound></policies>";
    assert_eq!(errors_of(p).len(), 4);
}

#[test]
fn configuration_errors() {
    let cfg = json!({
        "name": "g",
        "apis": [{"name": "a", "path": "a", "service_url": "ftp://x", "operations": ["GET /{x}.json", "nonsense"]}],
        "products": [{"name": "p", "apis": ["missing"]}],
        "subscriptions": [
            {"name": "s1", "scope": "product:nope", "primary_key": "k", "secondary_key": "k2"},
            {"name": "s2", "scope": "everything", "primary_key": "k3", "secondary_key": "k4"},
            {"name": "s3", "scope": "all", "primary_key": "k", "secondary_key": "k5"},
        ],
        "policies": {"operations": {"a/nope": "<policies/>"}, "global": {"file": "/nonexistent/global.xml"}},
    });
    let errors = match try_harness(cfg) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.to_string(),
    };
    for needle in [
        "cannot read file",
        "service_url \"ftp://x\" is not an absolute http(s) URL",
        "unsupported template segment",
        "expected \"METHOD /template\"",
        "product \"p\" names unknown API \"missing\"",
        "names unknown product \"nope\"",
        "scope must be all, product:<id> or api:<id>",
        "reuses a key",
        "unknown operation \"a/nope\"",
    ] {
        assert!(errors.contains(needle), "wanted {needle:?} in:\n{errors}");
    }
}

#[tokio::test]
async fn reload_picks_up_file_changes_and_keeps_the_old_policy_on_error() {
    let dir = std::env::temp_dir().join(format!("gw-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("api.xml");
    let write = |v: &str| {
        std::fs::write(&file, format!("<policies><inbound><base/><set-header name=\"X-V\"><value>{v}</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound></policies>")).unwrap();
    };
    write("1");
    let mut cfg = config("");
    cfg["policies"]["apis"]["orders"] = json!({"file": file.display().to_string()});
    let h = harness(cfg);
    h.get("/orders/1").await;
    assert_eq!(h.client.last().headers.get("x-v").unwrap(), "1");
    assert_eq!(h.gw.watched_files(), vec![file.clone()]);

    write("2");
    h.gw.reload().unwrap();
    h.get("/orders/1").await;
    assert_eq!(h.client.last().headers.get("x-v").unwrap(), "2");

    std::fs::write(&file, "<policies><inbound><oops/></inbound></policies>").unwrap();
    let err = h.gw.reload().unwrap_err().to_string();
    assert!(err.contains("unknown policy <oops>"), "{err}");
    h.get("/orders/1").await;
    assert_eq!(
        h.client.last().headers.get("x-v").unwrap(),
        "2",
        "the previous policy stays active"
    );

    // mtime-based reload.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write("3");
    let f = std::fs::File::options().write(true).open(&file).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    assert!(h.gw.reload_if_changed().unwrap());
    assert!(!h.gw.reload_if_changed().unwrap());
    h.get("/orders/1").await;
    assert_eq!(h.client.last().headers.get("x-v").unwrap(), "3");
    let _ = std::fs::remove_dir_all(&dir);
}
