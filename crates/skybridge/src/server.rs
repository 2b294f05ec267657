//! The one HTTPS listener: TLS by SNI, then routing by `Host` to each service's router, with
//! graceful shutdown.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Services by host name (lower case, no port).
#[derive(Clone, Default)]
pub struct HostRoutes {
    routes: Arc<HashMap<String, Router>>,
}

impl HostRoutes {
    /// Routes from (host, router) pairs.
    pub fn new(routes: HashMap<String, Router>) -> Self {
        Self {
            routes: Arc::new(routes),
        }
    }

    /// One router that dispatches on the request's host (HTTP/1 `Host` or HTTP/2 `:authority`).
    pub fn into_router(self) -> Router {
        Router::new().fallback(dispatch).with_state(self)
    }
}

fn request_host(req: &Request) -> Option<String> {
    let raw = req.uri().host().map(str::to_string).or_else(|| {
        req.headers()
            .get(header::HOST)?
            .to_str()
            .ok()
            .map(str::to_string)
    })?;
    // Drop the port; keep an IPv6 literal's brackets.
    let host = match raw.strip_prefix('[') {
        Some(rest) => format!("[{}]", rest.split(']').next().unwrap_or("")),
        None => raw.split(':').next().unwrap_or("").to_string(),
    };
    Some(host.to_ascii_lowercase())
}

async fn dispatch(State(hosts): State<HostRoutes>, req: Request) -> Response {
    let Some(host) = request_host(&req) else {
        return (StatusCode::BAD_REQUEST, "a Host header is required").into_response();
    };
    match hosts.routes.get(&host) {
        Some(router) => match router.clone().oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({
                "error": {"code": "HostNotFound", "message": format!("Skybridge serves no service at host '{host}'.")}
            })),
        )
            .into_response(),
    }
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves, then lets open requests
/// finish (up to 10 s).
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        // The peer address reaches handlers as axum's ConnectInfo (the gateway's ip-filter,
        // `context.Request.IpAddress` and X-Forwarded-For need it).
        let service = TowerToHyperService::new(app.clone().map_request(
            move |r: Request<hyper::body::Incoming>| {
                let mut r = r.map(Body::new);
                r.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                r
            },
        ));
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                .await
            {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("connections still open after 10 s; closing them");
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(uri: &str, host: Option<&str>) -> Option<String> {
        let mut b = Request::builder().uri(uri);
        if let Some(h) = host {
            b = b.header(header::HOST, h);
        }
        request_host(&b.body(Body::empty()).unwrap())
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("/x", Some("Login.Example:8443")).as_deref(),
            Some("login.example")
        );
        assert_eq!(
            host_of("/x", Some("login.example")).as_deref(),
            Some("login.example")
        );
        assert_eq!(host_of("https://a.b:1/x", None).as_deref(), Some("a.b"));
        assert_eq!(host_of("/x", None), None);
    }
}
