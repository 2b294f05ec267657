//! The echo sample backend (`[[sample_api]] kind = "echo"`): answers any method and path with
//! the request it received as JSON, so a gateway policy's effect on the forwarded request
//! (rewritten path, added headers, query parameters, body) can be seen from the client side.
//!
//! The caller's claims are decoded without verification: the gateway in front verified them.
//! The credential itself is not echoed back (responses end up in terminals and logs); its claims
//! carry the information a developer wants.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use serde_json::{Map, Value, json};

/// Bodies larger than this are summarised by length only: the echo is for looking at, not for
/// shipping data back.
const MAX_ECHOED_BODY: usize = 64 * 1024;

/// The router: every method and path goes to [`echo`].
pub fn router() -> Router {
    Router::new().fallback(echo)
}

async fn echo(request: Request) -> axum::Json<Value> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_ECHOED_BODY)
        .await
        .unwrap_or_else(|_| Bytes::from_static(b"(body too large or unreadable)"));
    axum::Json(describe(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &body,
    ))
}

/// The JSON description of one request. Pure, for tests.
pub fn describe(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Value {
    json!({
        "method": method,
        "path": path,
        "query": query_map(query),
        "headers": header_map(headers),
        "body": String::from_utf8_lossy(body),
        "claims": claims(headers),
    })
}

/// Query parameters: a name seen once maps to its value, a repeated name to the list of its
/// values (the shape httpbin uses, which clients already know).
fn query_map(query: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    let pairs = query.map(url_decode_pairs).unwrap_or_default().into_iter();
    for (name, value) in pairs {
        match out.get_mut(&name) {
            None => {
                out.insert(name, Value::String(value));
            }
            Some(Value::Array(list)) => list.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
        }
    }
    out
}

fn url_decode_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(n), percent_decode(v))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding; invalid escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |j: usize| {
            b.get(j)
                .and_then(|h| (*h as char).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (c, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(h * 16 + l);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Headers by lower-case name; repeated headers are joined with ", " as HTTP allows.
fn header_map(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| {
                if name == AUTHORIZATION {
                    redact(v.as_bytes())
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.insert(name.as_str().to_owned(), Value::String(joined));
    }
    out
}

/// Keeps the scheme, hides the credential.
fn redact(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    match text.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} [redacted]"),
        None => "[redacted]".to_owned(),
    }
}

/// The bearer token's claims, or null without a (decodable) bearer token.
fn claims(headers: &HeaderMap) -> Value {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| skybridge_jose::decode_unverified(t).ok())
        .map_or(Value::Null, |jws| Value::Object(jws.claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn token(claims: &str) -> String {
        use base64::Engine;
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.c2ln", enc(r#"{"alg":"RS256"}"#), enc(claims))
    }

    #[test]
    fn describes_method_path_query_headers_body_and_claims() {
        let mut headers = HeaderMap::new();
        let bearer = format!("Bearer {}", token(r#"{"azp":"client-1","roles":["R"]}"#));
        headers.insert("authorization", HeaderValue::from_str(&bearer).unwrap());
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("2"));
        let v = describe(
            "PATCH",
            "/any/where",
            Some("a=1&b=x%20y&a=2&c"),
            &headers,
            b"hello",
        );
        assert_eq!(v["method"], "PATCH");
        assert_eq!(v["path"], "/any/where");
        assert_eq!(v["query"]["a"], json!(["1", "2"]));
        assert_eq!(v["query"]["b"], "x y");
        assert_eq!(v["query"]["c"], "");
        assert_eq!(v["headers"]["x-a"], "1, 2");
        assert_eq!(v["headers"]["authorization"], "Bearer [redacted]");
        assert_eq!(v["body"], "hello");
        assert_eq!(v["claims"]["azp"], "client-1");
        assert_eq!(v["claims"]["roles"], json!(["R"]));
    }

    #[test]
    fn no_token_no_query_and_bad_escapes_are_fine() {
        let v = describe("GET", "/", Some("%zz=%4"), &HeaderMap::new(), b"");
        assert_eq!(v["claims"], Value::Null);
        assert_eq!(v["query"]["%zz"], "%4");
        let v = describe("GET", "/", None, &HeaderMap::new(), b"");
        assert_eq!(v["query"], json!({}));
    }

    #[tokio::test]
    async fn serves_any_method_and_path() {
        use tower::ServiceExt;
        let response = router()
            .oneshot(
                Request::builder()
                    .method("DELETE")
                    .uri("/x/y?z=1")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["method"], "DELETE");
        assert_eq!(v["path"], "/x/y");
        assert_eq!(v["query"]["z"], "1");
    }
}
