//! `skybridge demo --runs N`: the seed chain's latency distribution on loopback, measured from
//! the client's side through real HTTPS (connections pooled, as a long-running workflow host
//! keeps them):
//!
//! - **cold**: no cached token on the client — every run gets a managed-identity token, reads
//!   the vault certificate, has the vault sign the assertion, buys the partner token and calls
//!   the gateway (validate-jwt) and the backend;
//! - **cold, new connections**: the same with a new HTTP client per run, so each run also pays
//!   three TLS handshakes (authority, vault, gateway) — a process's very first chain;
//! - **warm**: the partner token is cached (`CachedCredential`) — a cache lookup and the gateway
//!   call;
//! - **workflow**: the seed workflow `orders-sync` triggered through its callback URL (its
//!   credentials are cached after the first run), run history written to the store.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use skybridge_credentials::{
    AuthorityClient, CachedCredential, ClientAssertionCredential, ManagedIdentityCredential,
    ManagedIdentitySource, TokenCredential, VaultSignedAssertion,
};
use skybridge_jose::SystemClock;

/// What the chain needs from endpoints.json.
pub struct ChainTargets {
    /// Client trusting the dev CA and resolving Skybridge's hosts.
    pub http: reqwest::Client,
    /// Builds another such client (no pooled connections).
    pub new_client: Box<dyn Fn() -> anyhow::Result<reqwest::Client> + Send + Sync>,
    /// The authority's URL.
    pub authority: String,
    /// Partner tenant id.
    pub partner: String,
    /// `home-integration`'s client id.
    pub client_id: String,
    /// The workflow identity's endpoint.
    pub source: ManagedIdentitySource,
    /// `home-kv`'s URI.
    pub vault: String,
    /// `partner-apim/orders`.
    pub orders_url: String,
    /// `orders-sync`'s callback URL.
    pub trigger_url: String,
}

impl ChainTargets {
    /// The vault-signed chain with fresh credential objects (nothing cached client-side),
    /// calling through `http`.
    fn credential(&self, http: &reqwest::Client) -> ClientAssertionCredential {
        let mi: Arc<dyn TokenCredential> = Arc::new(ManagedIdentityCredential::new(
            http.clone(),
            self.source.clone(),
            None,
        ));
        let assertion = VaultSignedAssertion::new(http.clone(), &self.vault, "partner-client", mi);
        ClientAssertionCredential::new(
            AuthorityClient::new(http.clone(), &self.authority),
            &self.partner,
            &self.client_id,
            Arc::new(assertion),
        )
    }

    async fn call_gateway(&self, http: &reqwest::Client, token: &str) -> anyhow::Result<()> {
        let response = http
            .get(&self.orders_url)
            .bearer_auth(token)
            .send()
            .await
            .context("calling the gateway")?;
        let status = response.status();
        response.bytes().await.context("reading the orders")?;
        if !status.is_success() {
            bail!("the gateway answered {status}");
        }
        Ok(())
    }
}

/// Milliseconds of each run, and their summary.
struct Distribution(Vec<f64>);

impl Distribution {
    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0[i.min(self.0.len() - 1)]
    }

    fn row(mut self, name: &str) -> String {
        self.0.sort_by(f64::total_cmp);
        let mean = self.0.iter().sum::<f64>() / self.0.len() as f64;
        format!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            self.0.len(),
            self.0[0],
            self.percentile(0.5),
            self.percentile(0.9),
            self.percentile(0.99),
            self.0[self.0.len() - 1],
            mean
        )
    }
}

async fn timed<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<Distribution>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await?;
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Distribution(out))
}

/// Runs each measurement `runs` times (after a few warm-up runs) and prints a Markdown table.
pub async fn measure(t: &ChainTargets, runs: usize) -> anyhow::Result<()> {
    let runs = runs.max(1);
    let warmup = (runs / 10).clamp(1, 20);
    let cold_once = || async {
        let token = t
            .credential(&t.http)
            .get_token("api://orders/.default")
            .await?;
        t.call_gateway(&t.http, &token.token.token).await
    };
    timed(warmup, cold_once).await?;
    let cold = timed(runs, cold_once).await?;

    let first_once = || async {
        let http = (t.new_client)()?;
        let token = t
            .credential(&http)
            .get_token("api://orders/.default")
            .await?;
        t.call_gateway(&http, &token.token.token).await
    };
    let first = timed(runs, first_once).await?;

    let cached = CachedCredential::new(t.credential(&t.http), Arc::new(SystemClock));
    let warm_once = || async {
        let token = cached.get_token("api://orders/.default").await?;
        t.call_gateway(&t.http, &token.token.token).await
    };
    timed(warmup, warm_once).await?;
    let warm = timed(runs, warm_once).await?;

    let workflow_once = || async {
        let response = t
            .http
            .post(&t.trigger_url)
            .json(&serde_json::json!({}))
            .send()
            .await
            .context("triggering orders-sync")?;
        let status = response.status();
        response.bytes().await?;
        if !status.is_success() {
            bail!("orders-sync answered {status}");
        }
        Ok(())
    };
    timed(warmup, workflow_once).await?;
    let workflow = timed(runs, workflow_once).await?;

    println!();
    println!("| seed chain (ms) | runs | min | p50 | p90 | p99 | max | mean |");
    println!("|---|---|---|---|---|---|---|---|");
    println!("{}", cold.row("cold: no cached token"));
    println!("{}", first.row("cold, new connections each run"));
    println!("{}", warm.row("warm: cached partner token"));
    println!("{}", workflow.row("workflow orders-sync run"));
    Ok(())
}
