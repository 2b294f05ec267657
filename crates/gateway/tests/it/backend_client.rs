//! The backend client against a raw TCP backend whose every byte the test writes: keep-alive
//! reuse, `Connection: close`, chunked and close-delimited bodies, interim responses, a pooled
//! connection the backend closed, malformed responses, the header timeout, and HTTPS to a
//! server that would rather speak h2.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use skybridge_gateway::engine::{ClientError, HttpClient, OutboundRequest};
use skybridge_gateway::http::client::BackendClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the backend does with each request it reads on a connection.
#[derive(Clone, Copy)]
enum Script {
    /// Answer every request with this response.
    Answer(&'static str),
    /// Answer the first request, then close the connection.
    AnswerOnceThenClose(&'static str),
    /// Answer the first request; read the second and close without answering, as a server
    /// does when its idle timeout fires just as a request arrives.
    AnswerOnceThenDropNext(&'static str),
    /// Never answer.
    Silent,
}

struct Backend {
    url: String,
    accepted: Arc<AtomicUsize>,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
}

async fn backend(script: Script) -> Backend {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (a, r) = (accepted.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            a.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(conn, script, r.clone()));
        }
    });
    Backend {
        url,
        accepted,
        requests,
    }
}

/// Reads requests (head plus `content-length` body) and answers as scripted.
async fn serve(mut conn: TcpStream, script: Script, log: Arc<std::sync::Mutex<Vec<String>>>) {
    let mut buf = Vec::new();
    let mut served_one = false;
    loop {
        let request = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |n| n.parse::<usize>().unwrap());
                if buf.len() >= end + 4 + len {
                    let all = String::from_utf8_lossy(&buf[..end + 4 + len]).to_string();
                    buf.drain(..end + 4 + len);
                    break all;
                }
            }
            let mut chunk = [0u8; 4096];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        log.lock().unwrap().push(request);
        match script {
            Script::Answer(r) => {
                if conn.write_all(r.as_bytes()).await.is_err() {
                    return;
                }
            }
            Script::AnswerOnceThenClose(r) => {
                let _ = conn.write_all(r.as_bytes()).await;
                return;
            }
            Script::AnswerOnceThenDropNext(r) => {
                if served_one {
                    return;
                }
                served_one = true;
                if conn.write_all(r.as_bytes()).await.is_err() {
                    return;
                }
            }
            Script::Silent => {}
        }
    }
}

fn get(url: &str) -> OutboundRequest {
    OutboundRequest {
        method: Method::GET,
        url: url.to_owned(),
        headers: HeaderMap::new(),
        body: Bytes::new(),
    }
}

fn client() -> BackendClient {
    BackendClient::new(None, Default::default())
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn keep_alive_connections_are_reused_and_the_request_is_exact() {
    let b = backend(Script::Answer(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Backend: yes\r\nConnection: x-hop\r\nX-Hop: 1\r\n\r\nhello",
    ))
    .await;
    let c = client();
    for _ in 0..3 {
        let r = c
            .send(get(&format!("{}/a/b?c=d", b.url)), SECOND)
            .await
            .unwrap();
        assert_eq!((r.status, &r.body[..]), (200, &b"hello"[..]));
        assert_eq!(r.headers["x-backend"], "yes");
        assert!(
            r.headers.get("x-hop").is_none(),
            "listed in Connection: hop-by-hop"
        );
        assert!(r.headers.get("connection").is_none());
    }
    let mut post = get(&format!("{}/p", b.url));
    post.method = Method::POST;
    post.body = Bytes::from_static(b"{\"a\":1}");
    post.headers
        .insert("x-caller", HeaderValue::from_static("1"));
    c.send(post, SECOND).await.unwrap();
    let with_userinfo = b.url.replace("http://", "http://user:pw@");
    c.send(get(&format!("{with_userinfo}/u")), SECOND)
        .await
        .unwrap();
    assert_eq!(
        b.accepted.load(Ordering::SeqCst),
        1,
        "one connection for all five"
    );
    let requests = b.requests.lock().unwrap();
    let host = b.url.trim_start_matches("http://");
    assert_eq!(
        requests[0],
        format!("GET /a/b?c=d HTTP/1.1\r\nhost: {host}\r\n\r\n")
    );
    assert_eq!(
        requests[3],
        format!(
            "POST /p HTTP/1.1\r\nhost: {host}\r\nx-caller: 1\r\ncontent-length: 7\r\n\r\n{{\"a\":1}}"
        )
    );
    assert_eq!(
        requests[4],
        format!("GET /u HTTP/1.1\r\nhost: {host}\r\n\r\n"),
        "no userinfo in Host"
    );
}

#[tokio::test]
async fn connection_close_and_close_delimited_bodies_are_not_reused() {
    let b = backend(Script::AnswerOnceThenClose(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    ))
    .await;
    let c = client();
    for _ in 0..2 {
        let r = c.send(get(&b.url), SECOND).await.unwrap();
        assert_eq!(&r.body[..], b"ok");
    }
    assert_eq!(b.accepted.load(Ordering::SeqCst), 2);

    let b = backend(Script::AnswerOnceThenClose(
        "HTTP/1.1 200 OK\r\n\r\nuntil the end",
    ))
    .await;
    let r = c.send(get(&b.url), SECOND).await.unwrap();
    assert_eq!(&r.body[..], b"until the end");
    c.send(get(&b.url), SECOND).await.unwrap();
    assert_eq!(b.accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn chunked_bodies_and_interim_responses() {
    let b = backend(Script::Answer(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nchun\r\n3;x=y\r\nked\r\n0\r\nT: 1\r\n\r\n",
    ))
    .await;
    let c = client();
    for _ in 0..2 {
        let r = c.send(get(&b.url), SECOND).await.unwrap();
        assert_eq!((r.status, &r.body[..]), (201, &b"chunked"[..]));
        assert!(r.headers.get("transfer-encoding").is_none());
    }
    assert_eq!(b.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_pooled_connection_the_backend_closed_is_not_used() {
    // The backend answers and then closes while the connection sits in the pool.
    let b = backend(Script::AnswerOnceThenClose(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ))
    .await;
    let c = client();
    c.send(get(&b.url), SECOND).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut post = get(&b.url);
    post.method = Method::POST;
    post.body = Bytes::from_static(b"once");
    let r = c.send(post, SECOND).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(b.accepted.load(Ordering::SeqCst), 2);
    assert_eq!(
        b.requests.lock().unwrap().len(),
        2,
        "the POST was sent once"
    );
}

#[tokio::test]
async fn malformed_responses_are_connection_errors() {
    for raw in [
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
        "NOT HTTP\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ] {
        let b = backend(Script::AnswerOnceThenClose(raw)).await;
        let e = client().send(get(&b.url), SECOND).await.unwrap_err();
        assert!(matches!(e, ClientError::Connection(_)), "{raw:?}: {e:?}");
    }
    let b = backend(Script::AnswerOnceThenClose(
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    ))
    .await;
    let e = client().send(get(&b.url), SECOND).await.unwrap_err();
    assert!(e.to_string().contains("middle of the response body"), "{e}");
}

#[tokio::test]
async fn a_silent_backend_times_out_and_a_refused_one_fails() {
    let b = backend(Script::Silent).await;
    let e = client()
        .send(get(&b.url), Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Timeout), "{e:?}");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = client()
        .send(get(&format!("http://127.0.0.1:{port}/")), SECOND)
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Connection(_)), "{e:?}");
    let e = client().send(get("ftp://x/"), SECOND).await.unwrap_err();
    assert!(e.to_string().contains("unsupported scheme"), "{e}");
}

#[tokio::test]
async fn https_backends_get_http_1_1_even_from_a_server_preferring_h2() {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let ca = skybridge_pki::DevCa::generate("test CA", now, 2).unwrap();
    let leaf = ca
        .issue_server(&["backend.test".into()], &[], now, 2)
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_pkcs8.clone())),
        )
        .unwrap();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut tls = acceptor.accept(tcp).await.unwrap();
                assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                loop {
                    let Ok(n) = tls.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        assert!(seen.starts_with(b"GET /tls HTTP/1.1\r\nhost: backend.test:"));
                        seen.drain(..end + 4);
                        let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
                        tls.write_all(reply).await.unwrap();
                    }
                }
            });
        }
    });
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca.cert_der().to_vec()))
        .unwrap();
    let mut client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let c = BackendClient::new(
        Some(Arc::new(client_config)),
        [("backend.test".to_string(), addr)].into_iter().collect(),
    );
    let url = format!("https://backend.test:{}/tls", addr.port());
    for _ in 0..3 {
        let r = c.send(get(&url), SECOND).await.unwrap();
        assert_eq!((r.status, &r.body[..]), (200, &b"secure"[..]));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "kept alive over TLS");
    let e = BackendClient::new(None, Default::default())
        .send(get(&url), SECOND)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("TLS client configuration"), "{e}");
}

#[tokio::test]
async fn a_connection_lost_as_the_request_arrives_is_retried_only_for_replayable_requests() {
    let b = backend(Script::AnswerOnceThenDropNext(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ))
    .await;
    let c = client();
    c.send(get(&b.url), SECOND).await.unwrap();
    // The pooled connection looks fine, takes the GET and closes: sent again on a new one.
    let r = c.send(get(&b.url), SECOND).await.unwrap();
    assert_eq!(&r.body[..], b"ok");
    assert_eq!(b.accepted.load(Ordering::SeqCst), 2);
    assert_eq!(b.requests.lock().unwrap().len(), 3);
    // A POST is not sent twice: the caller gets the error.
    let mut post = get(&b.url);
    post.method = Method::POST;
    post.body = Bytes::from_static(b"once");
    let e = c.send(post, SECOND).await.unwrap_err();
    assert!(matches!(e, ClientError::Connection(_)), "{e:?}");
    assert_eq!(
        b.requests.lock().unwrap().len(),
        4,
        "the POST was sent once"
    );
    assert_eq!(b.accepted.load(Ordering::SeqCst), 2);
}
