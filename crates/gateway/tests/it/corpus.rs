//! Snapshot-style tests over realistic policy documents (rawxml: raw quotes, `&&`, `<` and
//! bare `&` inside attributes; multi-line `@{}` blocks; named values; fragments), and a
//! fuzz-style loop proving that no truncation or mutation of them can make loading panic.

use std::collections::HashMap;
use std::path::Path;

use skybridge_gateway::policy::ast::{Document, Kind, Param, Policy, Section};
use skybridge_gateway::policy::load::{Session, Source, children};

fn read(name: &str) -> Source {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/policies")
        .join(name);
    Source {
        label: name.to_owned(),
        text: std::fs::read_to_string(path).unwrap(),
    }
}

fn named() -> HashMap<String, String> {
    [
        ("backend-user", "svc"),
        ("backend-password", "p@ss&word"),
        ("function-key", "fk-123"),
        ("aad-tenant-id", "partner.example"),
        (
            "aad-client-application-id",
            "11111111-2222-3333-4444-555555555555",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn detail(p: &Policy) -> String {
    let e = |p: &Param<String>| if matches!(p, Param::Expr(_)) { "@" } else { "" };
    match &p.kind {
        Kind::ValidateJwt(v) => format!(
            " openid={} keys={} aud={} iss={} claims={} apps={}",
            v.openid_urls.len(),
            v.keys.len(),
            v.audiences.len(),
            v.issuers.len(),
            v.claims.len(),
            v.client_app_ids.len()
        ),
        Kind::SetHeader(h) | Kind::SetQueryParameter(h) => {
            let name = match &h.name {
                Param::Const(n) => n.clone(),
                Param::Expr(_) => "@".into(),
            };
            let values: Vec<&str> = h.values.iter().map(e).collect();
            let action = match &h.action {
                Param::Const(a) => a.clone(),
                Param::Expr(_) => "@".into(),
            };
            format!(" {name} {action} values={}", values.join(","))
        }
        Kind::SetVariable { name, value } => format!(" {name}={}", e(value)),
        Kind::Choose { whens, otherwise } => {
            format!(" whens={} otherwise={}", whens.len(), otherwise.len())
        }
        Kind::RewriteUri {
            template: Param::Const(t),
            copy_unmatched,
        } => format!(" {t} copy={copy_unmatched}"),
        Kind::RateLimitByKey(r) => format!(" deferred={}", r.condition.is_some()),
        Kind::Quota(q) => format!(
            " calls={:?} kb={:?} period={} keyed={}",
            q.calls,
            q.bandwidth,
            q.period,
            q.key.is_some()
        ),
        Kind::Cors(c) => format!(" origins={:?} creds={}", c.origins, c.allow_credentials),
        Kind::AuthenticationBasic {
            username: Param::Const(u),
            password: Param::Const(pw),
        } => format!(" {u}:{pw}"),
        _ => String::new(),
    }
}

fn walk(out: &mut String, section: &str, p: &Policy) {
    out.push_str(&format!(
        "{section} {} {}:{}{}\n",
        p.meta.path,
        p.meta.line,
        p.meta.col,
        detail(p)
    ));
    for c in children(&p.kind) {
        walk(out, section, c);
    }
}

fn summarize(doc: &Document) -> String {
    let mut out = String::new();
    for s in [
        Section::Inbound,
        Section::Backend,
        Section::Outbound,
        Section::OnError,
    ] {
        match doc.section(s) {
            None => out.push_str(&format!("{s} absent\n")),
            Some(ps) => ps.iter().for_each(|p| walk(&mut out, s.name(), p)),
        }
    }
    out
}

fn load(name: &str) -> Document {
    let named = named();
    let fragments = HashMap::from([("correlation".to_owned(), read("09-fragment.xml"))]);
    let backends = HashMap::new();
    let session = Session::new(
        &named,
        &fragments,
        &backends,
        "https://login.skybridge.localhost",
    );
    let doc = session.document(&read(name));
    let errors = session.take_errors();
    assert!(errors.is_empty(), "{name}: {errors:#?}");
    doc.unwrap()
}

fn snapshot(name: &str, expected: &str) {
    let got = summarize(&load(name));
    assert_eq!(got.trim(), expected.trim(), "{name} snapshot:\n{got}");
}

#[test]
fn orders_api() {
    snapshot(
        "01-orders-api.xml",
        r#"
inbound base[1] 4:9
inbound validate-jwt[2] 5:9 openid=1 keys=0 aud=1 iss=1 claims=1 apps=0
inbound choose[3] 20:9 whens=1 otherwise=0
inbound choose[3]/when[1]/return-response[1] 22:17
inbound set-header[4] 28:9 Ocp-Apim-Subscription-Key delete values=
inbound set-header[5] 29:9 X-Caller override values=@
inbound rate-limit-by-key[6] 32:9 deferred=true
backend base[1] 35:9
outbound base[1] 38:9
outbound set-header[2] 39:9 X-Powered-By delete values=
on-error base[1] 42:9
on-error set-header[2] 43:9 X-Error-Reason override values=@
"#,
    );
}

#[test]
fn global_with_cors() {
    snapshot(
        "02-global.xml",
        r#"
inbound cors[1] 4:3 origins=["http://localhost:8080", "https://portal.example.com:443"] creds=true
backend forward-request[1] 24:3
outbound set-header[1] 27:3 X-Request-Id skip values=@
on-error set-header[1] 32:3 X-Error-Source override values=@
"#,
    );
}

#[test]
fn ai_gateway_style() {
    snapshot(
        "03-ai-gateway.xml",
        r#"
inbound base[1] 3:9
inbound set-variable[2] 4:9 backend=@
inbound set-backend-service[3] 9:9
inbound authentication-managed-identity[4] 10:9
inbound set-header[5] 11:9 Authorization override values=@
inbound rate-limit-by-key[6] 14:9 deferred=false
backend forward-request[1] 17:9
outbound base[1] 20:9
on-error base[1] 23:9
on-error choose[2] 24:9 whens=1 otherwise=0
on-error choose[2]/when[1]/set-header[1] 26:17 Retry-After override values=@
"#,
    );
}

#[test]
fn forwarded_for_filter_and_check_header_quota() {
    snapshot(
        "04-ip-from-forwarded-for.xml",
        r#"
inbound base[1] 3:9
inbound choose[2] 4:9 whens=1 otherwise=1
inbound choose[2]/when[1]/return-response[1] 6:17
inbound choose[2]/otherwise[1]/ip-filter[1] 15:17
backend base[1] 22:14
outbound base[1] 23:15
on-error absent
"#,
    );
    snapshot(
        "05-check-header-quota.xml",
        r#"
inbound base[1] 3:9
inbound check-header[2] 4:9
inbound quota-by-key[3] 8:9 calls=Some(10000) kb=Some(40000) period=3600 keyed=true
inbound quota[4] 11:9 calls=Some(500) kb=None period=86400 keyed=false
inbound rate-limit[5] 16:9
backend base[1] 18:14
outbound base[1] 19:15
on-error absent
"#,
    );
}

#[test]
fn introspection_mock_and_rewrite() {
    snapshot(
        "06-introspection.xml",
        r#"
inbound set-variable[1] 3:9 token=@
inbound send-request[2] 4:9
inbound choose[3] 15:9 whens=1 otherwise=0
inbound choose[3]/when[1]/return-response[1] 17:17
inbound base[4] 25:9
backend absent
outbound absent
on-error absent
"#,
    );
    snapshot(
        "07-mock.xml",
        r#"
inbound base[1] 3:9
inbound mock-response[2] 4:9
backend base[1] 7:9
outbound set-status[1] 10:9
outbound set-body[2] 11:9
on-error absent
"#,
    );
    snapshot(
        "08-rewrite.xml",
        r#"
inbound base[1] 3:9
inbound rewrite-uri[2] 4:9 /v2/{storenumber}&{ordernumber}?City=city&State=state copy=false
inbound set-query-parameter[3] 5:9 api-version skip values=
inbound set-method[4] 8:9
backend base[1] 11:9
outbound base[1] 14:9
on-error absent
"#,
    );
}

#[test]
fn fragments_named_values_and_blocks() {
    snapshot(
        "10-uses-fragment.xml",
        r#"
inbound base[1] 3:9
inbound include-fragment[2] 4:9
inbound include-fragment[2]/set-header[1] 2:5 X-Correlation-Id skip values=@
inbound include-fragment[2]/trace[2] 5:5
inbound authentication-basic[3] 5:9 svc:p@ss&word
inbound set-query-parameter[4] 6:9 code override values=
backend base[1] 11:9
outbound base[1] 14:9
outbound include-fragment[2] 15:9
outbound include-fragment[2]/set-header[1] 2:5 X-Correlation-Id skip values=@
outbound include-fragment[2]/trace[2] 5:5
on-error absent
"#,
    );
    snapshot(
        "11-azure-ad.xml",
        r#"
inbound base[1] 3:9
inbound validate-azure-ad-token[2] 4:9 openid=2 keys=0 aud=1 iss=0 claims=1 apps=1
backend base[1] 18:14
outbound base[1] 19:15
on-error base[1] 20:15
"#,
    );
    snapshot(
        "12-blocks.xml",
        r#"
inbound base[1] 3:9
inbound set-variable[2] 4:9 isMobile=@
inbound set-header[3] 5:9 X-Window override values=@
inbound set-body[4] 15:9
backend base[1] 21:14
outbound base[1] 22:15
on-error absent
"#,
    );
}

/// Loads a document from text; returns whether it loaded (errors are fine, panics are not).
fn try_load(text: &str) -> bool {
    let named = named();
    let fragments = HashMap::from([("correlation".to_owned(), read("09-fragment.xml"))]);
    let backends = HashMap::new();
    let session = Session::new(&named, &fragments, &backends, "https://login");
    let ok = session
        .document(&Source {
            label: "fuzz".into(),
            text: text.to_owned(),
        })
        .is_some();
    let _ = session.take_errors();
    ok
}

#[test]
fn truncations_and_mutations_never_panic() {
    let names = [
        "01-orders-api.xml",
        "02-global.xml",
        "03-ai-gateway.xml",
        "04-ip-from-forwarded-for.xml",
        "05-check-header-quota.xml",
        "06-introspection.xml",
        "07-mock.xml",
        "08-rewrite.xml",
        "09-fragment.xml",
        "10-uses-fragment.xml",
        "11-azure-ad.xml",
        "12-blocks.xml",
    ];
    let specials = [
        b'<', b'>', b'"', b'\'', b'@', b'(', b')', b'{', b'}', b'&', b'/', b'=', b';', b'$', b'\\',
        b'[', 0xC3,
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in names {
        let text = read(name).text;
        // Every prefix: the loader must report an error (or succeed), never panic.
        for end in (0..text.len()).filter(|i| text.is_char_boundary(*i)) {
            assert!(!try_load(&text[..end]) || end > 0);
        }
        // Random single-byte mutations, including bytes that break UTF-8 sequences.
        let bytes = text.as_bytes();
        for _ in 0..300 {
            let mut m = bytes.to_vec();
            let at = (next() % m.len() as u64) as usize;
            m[at] = specials[(next() % specials.len() as u64) as usize];
            try_load(&String::from_utf8_lossy(&m));
        }
    }
}

#[test]
fn expression_prefixes_and_mutations_never_panic() {
    use skybridge_gateway::expr::Expression;
    let sources = [
        r#"@(context.Request.Headers.GetValueOrDefault("Authorization","").Split(' ')?[1].AsJwt()?.Claims["sub"].FirstOrDefault())"#,
        r#"@($"k-{context.Variables["x"]}-{DateTime.UtcNow:yyyy}-{{lit}}")"#,
        r#"@{ var a = (string)context.Variables.GetValueOrDefault("a", "x"); if (a.Length < 3 && a != "") { return a.Substring(0, 1); } else { return String.Format("{0}", a); } }"#,
        r#"@((bool)((IResponse)context.Variables["t"]).Body.As<JObject>(preserveContent: true)["active"] == false ? 1 : -2 * 3 % 4)"#,
        r#"@(@"verbatim ""q""" + 'c' + new [] { "a", "b" }[0] ?? null)"#,
    ];
    let mut seed: u64 = 42;
    for src in sources {
        assert!(Expression::compile(src, 0).is_ok(), "{src}");
        for end in (0..src.len()).filter(|i| src.is_char_boundary(*i)) {
            let _ = Expression::compile(&src[..end], 0);
        }
        for _ in 0..500 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let mut b = src.as_bytes().to_vec();
            let at = (seed >> 33) as usize % b.len();
            b[at] = b"()[]{}\"'$@.,;:?!<>=+-*/%&| x1"[(seed >> 13) as usize % 29];
            let _ = Expression::compile(&String::from_utf8_lossy(&b), 0);
        }
    }
}
