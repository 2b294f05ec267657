//! The request id: every response the gateway writes carries `apim-request-id`, equal to
//! `context.RequestId`, to a 500 body's `activityId` and to `request_id` in the per-request
//! log line — on success, on every kind of error, after on-error, and for responses written
//! before any policy runs (body too large, CORS preflight).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use uuid::Uuid;

use super::fixture::{Resp, config, doc, harness, req, response};

/// Collects what the fmt subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process-wide capture. A global subscriber rather than a scoped one: with a scoped
/// one, a callsite first hit by another test's thread can keep a cached "never" interest
/// (tracing-core's registration race), and the line under test would go missing.
fn captured() -> Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        log
    })
    .clone()
}

impl Captured {
    /// The gateway's log lines naming `id`.
    fn lines_for(&self, id: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains("gateway request") && l.contains(&format!("request_id={id}")))
            .map(str::to_owned)
            .collect()
    }
}

/// The response's request id, checked to be a GUID and to appear in exactly one log line,
/// with the response's status.
fn id_of(r: &Resp, log: &Captured) -> String {
    let id = r.header("apim-request-id").to_owned();
    assert!(Uuid::parse_str(&id).is_ok(), "not a GUID: {id}");
    let lines = log.lines_for(&id);
    assert_eq!(
        lines.len(),
        1,
        "one log line for {id} in:\n{}",
        String::from_utf8_lossy(&log.0.lock().unwrap())
    );
    assert!(
        lines[0].contains(&format!("status={}", r.status.as_u16())),
        "{}",
        lines[0]
    );
    id
}

const ECHO: &str = r#"<set-header name="x-ctx-id" exists-action="override"><value>@(context.RequestId.ToString())</value></set-header>"#;

#[tokio::test]
async fn every_response_carries_the_request_id_of_context_and_log() {
    let log = captured();

    let mut cfg = config(&doc(
        r#"<choose>
             <when condition="@(context.Request.Headers.GetValueOrDefault("x-fail", "") == "expr")">
               <set-variable name="v" value="@((string)context.Variables["missing"])"/>
             </when>
             <when condition="@(context.Request.Headers.GetValueOrDefault("x-fail", "") == "jwt")">
               <validate-jwt header-name="Authorization"><issuer-signing-keys><key>c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0</key></issuer-signing-keys></validate-jwt>
             </when>
           </choose>
           <cors><allowed-origins><origin>https://app.example</origin></allowed-origins></cors>"#,
        ECHO,
        ECHO,
    ));
    cfg["max_body_bytes"] = 16.into();
    let h = harness(cfg);
    // The backend's own request id is replaced by the gateway's.
    h.client.set(|_| {
        Ok(response(
            200,
            &[("apim-request-id", "from-the-backend")],
            "ok",
        ))
    });

    // Success: the header is context.RequestId (seen by the outbound policy).
    let ok = h.get("/orders/1").await;
    assert_eq!(ok.status, 200);
    let id = id_of(&ok, &log);
    assert_eq!(ok.header("x-ctx-id"), id);
    let again = h.get("/orders/1").await;
    assert_ne!(id_of(&again, &log), id, "a fresh id per request");

    // An expression failure: APIM's 500 with the id as activityId; on-error sees the same id.
    let r = h
        .send(
            req("GET", "/orders/1")
                .header("x-fail", "expr")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 500);
    let id = id_of(&r, &log);
    assert_eq!(r.header("x-ctx-id"), id);
    assert!(
        r.body.contains(&format!(r#""activityId": "{id}""#)),
        "{}",
        r.body
    );

    // A policy's own error response, after on-error.
    let r = h
        .send(
            req("GET", "/orders/1")
                .header("x-fail", "jwt")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-ctx-id"), id_of(&r, &log));

    // Built-in failures: no API, no operation.
    for uri in ["/nowhere", "/orders/1/2/3"] {
        let r = h.get(uri).await;
        assert_eq!(r.status, 404, "{uri}");
        id_of(&r, &log);
    }

    // Written before any policy runs: a body past the limit, a CORS preflight.
    let r = h
        .send(
            req("POST", "/orders/")
                .body(Body::from("x".repeat(64)))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 413);
    id_of(&r, &log);
    let r = h
        .send(
            req("OPTIONS", "/orders/1")
                .header("Origin", "https://app.example")
                .header("Access-Control-Request-Method", "GET")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        "https://app.example"
    );
    id_of(&r, &log);
}

#[tokio::test]
async fn subscription_key_errors_carry_it_too() {
    let mut cfg = config(&doc("", "", ECHO));
    cfg["apis"][0]["subscription_required"] = true.into();
    let h = harness(cfg);
    let r = h.get("/orders/1").await;
    assert_eq!(r.status, 401);
    let id = r.header("apim-request-id");
    assert!(Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(r.header("x-ctx-id"), id, "on-error sees the same id");
}
