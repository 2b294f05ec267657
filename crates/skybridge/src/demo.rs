//! `skybridge demo`: the seed chain end to end on a temporary data directory — a workflow's
//! managed identity reaches the home vault, the vault signs a client assertion with a key that
//! never leaves it, the assertion buys a partner-tenant token — printed step by step with each
//! step's time. `--variant federated` uses a user-assigned identity's token as the assertion
//! instead; `--variant refused` shows why the chain exists: the identity alone cannot get a
//! token for the partner's API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde_json::Value;
use skybridge_credentials::{
    AuthorityClient, ClientAssertionCredential, CredentialError, FederatedAssertion,
    ManagedIdentityCredential, ManagedIdentitySource, Step, TokenCredential, UserAssigned,
    VaultSignedAssertion,
};

use crate::DataArgs;
use crate::up::{UpArgs, serve_until};

/// Which chain to run.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Variant {
    /// Managed identity → vault-signed assertion → partner token.
    Vault,
    /// User-assigned identity's token as a federated credential → partner token.
    Federated,
    /// Managed identity straight at the partner's API: refused, as in Azure.
    Refused,
}

/// `skybridge demo` options.
#[derive(Args)]
pub struct DemoArgs {
    /// Data directory; a temporary one (removed afterwards) when absent.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Which chain to run.
    #[arg(long, value_enum, default_value = "vault")]
    variant: Variant,
    /// Domain under which services are named.
    #[arg(long, default_value = "skybridge.localhost")]
    domain: String,
    /// After the demo, measure the chain this many times (cold, warm and as a workflow run)
    /// and print the latency distribution (vault variant only).
    #[arg(long)]
    runs: Option<usize>,
}

fn field<'a>(v: &'a Value, path: &[&str]) -> anyhow::Result<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(p)
            .with_context(|| format!("endpoints.json has no {}", path.join(".")))?;
    }
    cur.as_str()
        .with_context(|| format!("endpoints.json: {} is not a string", path.join(".")))
}

fn print_steps(steps: &[Step], n: &mut usize) {
    for s in steps {
        *n += 1;
        println!(
            "{:>2}. {:<24} {:>8.1} ms  {}  [{}]",
            n, s.action, s.elapsed_ms, s.detail, s.target
        );
    }
}

/// The issuer and roles of a token, for the last line of the chain.
fn describe(token: &str) -> String {
    match skybridge_jose::decode_unverified(token) {
        Ok(jws) => format!(
            "issuer {}, roles {}",
            jws.claims.get("iss").and_then(Value::as_str).unwrap_or("?"),
            jws.claims
                .get("roles")
                .map_or_else(|| "none".into(), Value::to_string)
        ),
        Err(_) => "unreadable token".into(),
    }
}

/// The workflow that runs `variant`'s chain.
fn workflow_of(variant: Variant) -> &'static str {
    match variant {
        Variant::Vault => "orders-sync",
        Variant::Federated => "orders-sync-federated",
        Variant::Refused => "orders-sync-refused",
    }
}

/// The same chain as a Logic Apps workflow: the seed workflow is triggered through its callback
/// URL; its Http action authenticates (vault-signed assertion, federated identity, or the
/// managed identity alone) and calls the gateway. The action's token-acquisition steps are then
/// read back from the run history (`authenticationSteps`, no token values).
async fn run_workflow(
    http: &reqwest::Client,
    endpoints: &Value,
    variant: Variant,
) -> anyhow::Result<()> {
    let name = workflow_of(variant);
    let url = field(endpoints, &["workflows", name, "trigger_url"])?;
    let started = Instant::now();
    let response = http
        .post(url)
        .json(&serde_json::json!({}))
        .send()
        .await
        .context("triggering the workflow")?;
    let status = response.status();
    let run = response
        .headers()
        .get("x-ms-workflow-run-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("?")
        .to_string();
    let body = response.text().await.unwrap_or_default();
    println!(
        "workflow {name} (run {run}) answered {status} in {:.1} ms: {}",
        started.elapsed().as_secs_f64() * 1000.0,
        body.chars().take(300).collect::<String>()
    );
    let management = field(endpoints, &["workflows", name, "management_url"])?;
    let action: Value = http
        .get(format!(
            "{management}/runs/{run}/actions/Get_partner_orders"
        ))
        .send()
        .await
        .context("reading the run history")?
        .json()
        .await
        .context("reading the run history")?;
    let properties = &action["properties"];
    for (i, s) in properties["authenticationSteps"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        println!(
            "    {}. {:<24} {:>8.1} ms  {}",
            i + 1,
            s["step"].as_str().unwrap_or(""),
            s["durationMs"].as_f64().unwrap_or(0.0),
            s["detail"].as_str().unwrap_or("")
        );
    }
    match variant {
        Variant::Refused => {
            let message = properties["error"]["message"].as_str().unwrap_or("");
            println!(
                "    Get_partner_orders {}: {message}",
                properties["status"].as_str().unwrap_or("?")
            );
            if status.as_u16() != 502 || !message.contains("AADSTS500011") {
                bail!("the workflow should have been refused (AADSTS500011): {status} {body}");
            }
        }
        _ if !status.is_success() => bail!("the workflow failed: {status} {body}"),
        _ => {}
    }
    Ok(())
}

/// Runs `skybridge demo`.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let temporary = args.data_dir.is_none();
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("skybridge-demo-{}", uuid::Uuid::new_v4()))
    });
    let up = UpArgs {
        data: DataArgs {
            data_dir: data_dir.clone(),
        },
        world: None,
        domain: args.domain.clone(),
        port: 0,
        listen: "127.0.0.1".parse()?,
        identity_port: Some(0),
    };
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_until(
        up,
        async move {
            let _ = stop_rx.await;
        },
        Some(ready_tx),
    ));
    let result = async {
        let endpoints_path = tokio::time::timeout(Duration::from_secs(60), ready_rx)
            .await
            .context("skybridge did not become ready in 60 s")?
            .context("skybridge stopped before it was ready")?;
        chain(&endpoints_path, args.variant, args.runs).await
    }
    .await;
    let _ = stop_tx.send(());
    let served = server.await;
    if temporary {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    match served {
        Ok(Err(e)) => return Err(e.context("skybridge up failed")),
        Err(e) => bail!("skybridge up panicked: {e}"),
        Ok(Ok(())) => {}
    }
    result
}

async fn chain(
    endpoints_path: &std::path::Path,
    variant: Variant,
    runs: Option<usize>,
) -> anyhow::Result<()> {
    let endpoints: Value = serde_json::from_slice(&std::fs::read(endpoints_path)?)?;
    let listen: SocketAddr = field(&endpoints, &["listen"])?.parse()?;
    let ca = std::fs::read_to_string(field(&endpoints, &["ca_certificate"])?)?;
    let roots = skybridge_pki::pem::certificates(&ca)?;
    // The demo resolves Skybridge's names itself, so it needs no hosts-file entries.
    let hosts: Vec<String> = endpoints["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let new_client = move || -> anyhow::Result<reqwest::Client> {
        let mut builder = skybridge_net::client_builder(&roots, Duration::from_secs(30))?;
        for host in &hosts {
            builder = builder.resolve(host, listen);
        }
        Ok(builder.build()?)
    };
    let http = new_client()?;
    let authority = AuthorityClient::new(http.clone(), field(&endpoints, &["authority"])?);
    let partner = field(&endpoints, &["tenants", "partner", "tenant_id"])?;
    let identity = &endpoints["managed_identities"]["orders-sync"];
    let source = ManagedIdentitySource::AppService {
        endpoint: field(identity, &["identity_endpoint"])?.into(),
        header: field(identity, &["identity_header"])?.into(),
    };
    let source_again = source.clone();
    println!(
        "skybridge demo ({variant:?}): workflow orders-sync (tenant home) calls the Orders API of tenant partner"
    );
    let started = Instant::now();
    let mut n = 0;
    let outcome = match variant {
        Variant::Vault => {
            let mi: Arc<dyn TokenCredential> =
                Arc::new(ManagedIdentityCredential::new(http.clone(), source, None));
            let vault = field(&endpoints, &["vaults", "home-kv", "uri"])?;
            let assertion = VaultSignedAssertion::new(http.clone(), vault, "partner-client", mi);
            let client = field(
                &endpoints,
                &["applications", "partner/home-integration", "client_id"],
            )?;
            ClientAssertionCredential::new(authority, partner, client, Arc::new(assertion))
                .get_token("api://orders/.default")
                .await
        }
        Variant::Federated => {
            let uami = field(
                &endpoints,
                &["managed_identities", "orders-uami", "client_id"],
            )?;
            let mi: Arc<dyn TokenCredential> = Arc::new(ManagedIdentityCredential::new(
                http.clone(),
                source,
                Some(UserAssigned::ClientId(uami.into())),
            ));
            let client = field(
                &endpoints,
                &["applications", "home/orders-federation", "client_id"],
            )?;
            ClientAssertionCredential::new(
                authority,
                partner,
                client,
                Arc::new(FederatedAssertion::new(mi)),
            )
            .get_token("api://orders/.default")
            .await
        }
        Variant::Refused => {
            let mi = ManagedIdentityCredential::new(http.clone(), source, None);
            match mi.get_token("api://orders/.default").await {
                Err(CredentialError::ManagedIdentity {
                    status, message, ..
                }) => {
                    println!(" 1. managed identity token refused ({status}): {message}");
                    println!(
                        "A managed identity gets tokens only from its home tenant; this is why the chain goes through the vault."
                    );
                    return run_workflow(&http, &endpoints, variant).await;
                }
                Ok(_) => bail!(
                    "the managed identity got a partner token: the home-tenant rule is broken"
                ),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match outcome {
        Ok(result) => {
            print_steps(&result.steps, &mut n);
            println!("    partner token: {}", describe(&result.token.token));
            let gateway = field(&endpoints, &["gateways", "partner-apim", "uri"])?;
            let call = Instant::now();
            let response = http
                .get(format!("{gateway}/orders"))
                .bearer_auth(&result.token.token)
                .send()
                .await
                .context("calling the gateway")?;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            n += 1;
            println!(
                "{n:>2}. {:<24} {:>8.1} ms  {status}  [{gateway}/orders]",
                "gateway + backend",
                call.elapsed().as_secs_f64() * 1000.0
            );
            println!(
                "    backend answer: {}",
                body.chars().take(400).collect::<String>()
            );
            if !status.is_success() {
                bail!("the gateway refused the partner token: {status} {body}");
            }
            println!(
                "chain complete in {:.1} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
            run_workflow(&http, &endpoints, variant).await?;
            match runs {
                Some(runs) if matches!(variant, Variant::Vault) => {
                    let targets = crate::demo_bench::ChainTargets {
                        http: http.clone(),
                        new_client: Box::new(new_client),
                        authority: field(&endpoints, &["authority"])?.to_string(),
                        partner: partner.to_string(),
                        client_id: field(
                            &endpoints,
                            &["applications", "partner/home-integration", "client_id"],
                        )?
                        .to_string(),
                        source: source_again,
                        vault: field(&endpoints, &["vaults", "home-kv", "uri"])?.to_string(),
                        orders_url: format!("{gateway}/orders"),
                        trigger_url: field(
                            &endpoints,
                            &["workflows", "orders-sync", "trigger_url"],
                        )?
                        .to_string(),
                    };
                    crate::demo_bench::measure(&targets, runs).await
                }
                Some(_) => bail!("--runs measures the vault variant only"),
                None => Ok(()),
            }
        }
        Err(e) => bail!("the chain failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed chain through real HTTPS and the real identity listener, every variant.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_seed_chain_runs_in_every_variant() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        for variant in [Variant::Vault, Variant::Federated, Variant::Refused] {
            let args = DemoArgs {
                data_dir: None,
                variant,
                domain: "skybridge.localhost".into(),
                runs: matches!(variant, Variant::Vault).then_some(3),
            };
            run(args)
                .await
                .unwrap_or_else(|e| panic!("{variant:?}: {e:#}"));
        }
    }
}
