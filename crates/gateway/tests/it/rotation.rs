//! The gateway against a real OpenID authority on loopback (discovery, JWKS and a token
//! endpoint over HTTP, RSA signatures): the authority rotates its signing key while clients
//! keep calling, and later goes away with the keys cached. The gateway runs with its
//! production HTTP client and metadata fetcher and a manual clock, so APIM's intervals (1 h
//! refresh, refetch on an unknown `kid` at most every 5 minutes) are driven exactly.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use skybridge_gateway::{Gateway, GatewayConfig, ManualClock};
use tokio::sync::watch;

use super::fixture::T0;
use super::net::{
    Authority, BOUND, Server, client, fetch_token, get, ok_backend, rsa, send, serve,
};

const MINUTE: i64 = 60_000;

/// validate-jwt against the authority's OpenID configuration; on-error exposes the reason.
fn gateway(
    authority: &Authority,
    backend: &Server,
    clock: &Arc<ManualClock>,
    attrs: &str,
) -> Arc<Gateway> {
    let policy = format!(
        r#"<policies>
          <inbound><base/>
            <validate-jwt header-name="Authorization" require-scheme="Bearer" {attrs}>
              <openid-config url="{}"/>
              <audiences><audience>api://orders</audience></audiences>
              <required-claims><claim name="roles"><value>Orders.Read</value></claim></required-claims>
            </validate-jwt>
          </inbound>
          <backend><base/></backend>
          <outbound><base/></outbound>
          <on-error><base/>
            <set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>
          </on-error>
        </policies>"#,
        authority.metadata_url()
    );
    let config: GatewayConfig = serde_json::from_value(json!({
        "name": "g",
        "apis": [{"name": "orders", "path": "orders", "service_url": format!("http://{}", backend.addr),
                  "subscription_required": false, "operations": ["GET /{id}"]}],
        "policies": {"apis": {"orders": policy}},
    }))
    .unwrap();
    Arc::new(
        Gateway::builder(config)
            .clock(clock.clone())
            .build()
            .unwrap(),
    )
}

/// Clients that each loop: a fresh token from the token endpoint, then a call through the
/// gateway; every non-200 is recorded.
struct Traffic {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    progress: watch::Receiver<usize>,
    failures: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Traffic {
    fn start(clients: usize, token_url: String, api_url: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let (tx, progress) = watch::channel(0);
        let tx = Arc::new(tx);
        let tasks = (0..clients)
            .map(|_| {
                let (stop, done, failures, tx) =
                    (stop.clone(), done.clone(), failures.clone(), tx.clone());
                let (token_url, api_url) = (token_url.clone(), api_url.clone());
                tokio::spawn(async move {
                    let client = client();
                    while !stop.load(Ordering::SeqCst) {
                        let token = fetch_token(&client, &token_url).await;
                        let auth = format!("Bearer {token}");
                        let r = send(
                            &client,
                            http::Method::GET,
                            &api_url,
                            &[("Authorization", &auth)],
                        )
                        .await;
                        if r.status != 200 {
                            let reason = r
                                .headers
                                .get("x-reason")
                                .map(|v| v.to_str().unwrap().to_owned());
                            failures
                                .lock()
                                .unwrap()
                                .push(format!("{} {reason:?}", r.status));
                        }
                        tx.send_replace(done.fetch_add(1, Ordering::SeqCst) + 1);
                    }
                })
            })
            .collect();
        Self {
            stop,
            done,
            progress,
            failures,
            tasks,
        }
    }

    /// Waits (bounded) until `more` further requests have completed.
    async fn run(&mut self, more: usize) {
        let target = self.done.load(Ordering::SeqCst) + more;
        tokio::time::timeout(BOUND, self.progress.wait_for(|n| *n >= target))
            .await
            .expect("traffic keeps flowing")
            .unwrap();
    }

    async fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.tasks {
            tokio::time::timeout(BOUND, t).await.unwrap().unwrap();
        }
        let failures = self.failures.lock().unwrap().clone();
        (self.done.load(Ordering::SeqCst), failures)
    }
}

/// `hits` once they equal `want` or `BOUND` has passed; never waits for more than `want`,
/// so an extra fetch still shows.
async fn hits_once_settled(a: &Authority, want: (usize, usize)) -> (usize, usize) {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let now = hits(a);
        if now == want || tokio::time::Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

fn hits(a: &Authority) -> (usize, usize) {
    (
        a.state.metadata_hits.load(Ordering::SeqCst),
        a.state.jwks_hits.load(Ordering::SeqCst),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotating_the_signing_key_under_load_fails_no_request() {
    let clock = Arc::new(ManualClock::new(T0));
    let (k1, k2, k3) = (rsa(), rsa(), rsa());
    // Like Entra, the authority publishes its next key before signing with it.
    let authority = Authority::start(clock.clone(), &[("k1", &k1), ("k2", &k2)]).await;
    let backend = ok_backend().await;
    let gw = serve(gateway(&authority, &backend, &clock, "")).await;
    let mut traffic = Traffic::start(
        6,
        authority.token_url(),
        format!("http://{}/orders/1", gw.addr),
    );

    traffic.run(30).await;
    assert_eq!(
        hits(&authority),
        (1, 1),
        "one fetch, shared by the first requests"
    );

    // Planned rotation 2 minutes later: the pre-published key starts signing. Known kid, no
    // fetch.
    clock.advance(2 * MINUTE);
    authority.state.rotate(&[("k1", &k1), ("k2", &k2)], "k2");
    traffic.run(30).await;
    assert_eq!(hits(&authority), (1, 1));

    // Emergency rotation to a key never published before, 6 minutes after the last fetch:
    // the first token with the new kid refetches (allowed: more than 5 minutes), every
    // concurrent request waits for that one fetch, and none fails.
    clock.advance(4 * MINUTE);
    authority.state.rotate(&[("k2", &k2), ("k3", &k3)], "k3");
    traffic.run(30).await;
    assert_eq!(hits(&authority), (2, 2));

    // The hourly refresh under load: exactly one more fetch. Requests go on with the cached
    // keys while it runs, so they can finish before it reaches the authority: wait for it.
    clock.advance(61 * MINUTE);
    traffic.run(30).await;
    assert_eq!(hits_once_settled(&authority, (3, 3)).await, (3, 3));

    let (done, failures) = traffic.finish().await;
    assert!(
        failures.is_empty(),
        "{} of {done} failed: {failures:?}",
        failures.len()
    );
    assert!(done >= 120);

    // Within 5 minutes of that fetch an unknown kid is refused without another fetch.
    let rogue = rsa();
    let token = authority.state.mint_with("k-rogue", &rogue);
    let r = get(
        gw.addr,
        "/orders/1",
        &[("Authorization", &format!("Bearer {token}"))],
    )
    .await;
    assert_eq!(r.status_line, "HTTP/1.1 401 Unauthorized");
    assert_eq!(r.header("x-reason"), Some("TokenSignatureKeyNotFound"));
    assert_eq!(hits(&authority), (3, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authority_down_with_keys_cached() {
    let clock = Arc::new(ManualClock::new(T0));
    let (k1, k2) = (rsa(), rsa());
    let mut authority = Authority::start(clock.clone(), &[("k1", &k1)]).await;
    let backend = ok_backend().await;
    let gw = serve(gateway(
        &authority,
        &backend,
        &clock,
        r#"failed-validation-httpcode="403" failed-validation-error-message="Partner token rejected.""#,
    ))
    .await;
    let call = |token: String| {
        let addr = gw.addr;
        async move {
            get(
                addr,
                "/orders/1",
                &[("Authorization", &format!("Bearer {token}"))],
            )
            .await
        }
    };
    let c = client();
    let r = call(fetch_token(&c, &authority.token_url()).await).await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(hits(&authority), (1, 1));

    authority.server.stop().await;
    assert!(
        tokio::net::TcpStream::connect(authority.server.addr)
            .await
            .is_err(),
        "the authority is down"
    );
    // The token endpoint is gone too; tokens issued before the outage are still signed by k1.
    let known = || authority.state.mint_with("k1", &k1);
    assert_eq!(call(known()).await.status_line, "HTTP/1.1 200 OK");

    // An unknown kid 6 minutes on: the refetch fails at once (connection refused) and the
    // caller gets the configured error, not a hang or a 500.
    clock.advance(6 * MINUTE);
    let unknown = authority.state.mint_with("k2", &k2);
    let started = std::time::Instant::now();
    let r = call(unknown.clone()).await;
    assert!(started.elapsed() < BOUND);
    let rejected = r#"{ "statusCode": 403, "message": "Partner token rejected." }"#;
    assert_eq!(r.status_line, "HTTP/1.1 403 Forbidden");
    assert_eq!(r.text(), rejected);
    assert_eq!(r.header("x-reason"), Some("TokenSignatureKeyNotFound"));
    // Again within the 5-minute throttle: the same answer.
    assert_eq!(call(unknown).await.text(), rejected);
    assert_eq!(call(known()).await.status_line, "HTTP/1.1 200 OK");

    // Past the 1 h lifetime of the cached keys: the refresh fails and the last good keys are
    // still served, for fresh tokens too.
    clock.advance(61 * MINUTE);
    for _ in 0..3 {
        assert_eq!(call(known()).await.status_line, "HTTP/1.1 200 OK");
    }
    clock.advance(6 * MINUTE);
    assert_eq!(call(known()).await.status_line, "HTTP/1.1 200 OK");
    assert_eq!(
        hits(&authority),
        (1, 1),
        "nothing reached the stopped authority"
    );
}
