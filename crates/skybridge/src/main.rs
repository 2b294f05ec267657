//! `skybridge`: runs every Skybridge service on one machine (`skybridge up`) and administers it.

/// mimalloc for Rust's allocations: the gateway's request path allocates many short-lived
/// buffers (headers, claims, JSON) across tokio's worker threads, and glibc's malloc was about
/// 12 % of its profile; with mimalloc the gateway's validate-jwt case gained about a third, the
/// vault's figures stayed within noise (docs/benchmarks.md, Gateway and Key Vault).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod client_certificate;
mod demo;
mod demo_bench;
mod endpoints;
mod expr_cmd;
mod gateways;
mod hosts;
mod identities;
mod oidc;
mod policy_check;
mod policy_cmd;
mod resource_identity;
mod runs_cmd;
mod runtime;
mod sample_api;
mod sample_echo;
mod server;
mod tls;
mod up;
mod vaults;
mod workflow_auth;
mod workflows;
mod world;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Skybridge: Entra ID, managed identity, Key Vault, API Management and Logic Apps-compatible
/// services for cross-tenant workflows, on one machine.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every service over one HTTPS listener, applying a world file first.
    Up(up::UpArgs),
    /// Run the seed chain end to end on a temporary data directory and print each step.
    Demo(demo::DemoArgs),
    /// Print (or add to the hosts file) the host names Skybridge serves.
    Hosts(hosts::HostsArgs),
    /// Administer the authority.
    #[command(subcommand)]
    Authority(AuthorityCommand),
    /// Evaluate a Logic Apps expression (without the leading @) and print it as JSON.
    Expr(expr_cmd::ExprArgs),
    /// Workflow run history, and manual runs.
    #[command(subcommand)]
    Runs(runs_cmd::RunsCommand),
    /// API Management policy documents.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
}

#[derive(Subcommand)]
enum AuthorityCommand {
    /// Roll the signing keys: next starts signing, current stays published as previous.
    RotateKeys(RotateArgs),
}

/// Options every command that opens the data directory shares.
#[derive(Args, Clone)]
pub struct DataArgs {
    /// Where the store, the root key, the dev CA and endpoints.json live.
    #[arg(long, env = "SKYBRIDGE_DATA_DIR", default_value = ".skybridge")]
    pub data_dir: PathBuf,
}

#[derive(Args)]
struct RotateArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Only this tenant (name or id); every tenant by default.
    #[arg(long)]
    tenant: Option<String>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SKYBRIDGE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    // On one CPU (the process's affinity mask: `taskset -c 1` gives one) the work-stealing
    // scheduler has nothing to steal and only adds cost: its atomics, queues and cross-thread
    // wake-ups outweigh the work of a cheap request. Measured with bench/gateway.sh (one CPU),
    // a single-threaded runtime served 1.3-1.6x the requests with unique tokens
    // (docs/benchmarks.md, "One CPU, one thread").
    let single_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let mut builder = if single_cpu {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Up(args) => up::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Hosts(args) => hosts::run(args),
            Command::Authority(AuthorityCommand::RotateKeys(args)) => rotate_keys(args).await,
            Command::Expr(args) => expr_cmd::run(args),
            Command::Runs(command) => runs_cmd::run(command).await,
            Command::Policy(command) => policy_cmd::run(command),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn rotate_keys(args: RotateArgs) -> anyhow::Result<()> {
    let rt = runtime::Runtime::open(&args.data.data_dir, runtime::Urls::offline(), |_| {}).await?;
    let tenants = match &args.tenant {
        Some(t) => vec![
            rt.authority
                .resolve_tenant(t)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ],
        None => rt.authority.store().tenants().await?,
    };
    let first_party = skybridge_authority::first_party::MICROSOFT_SERVICES_TENANT;
    let tenants = tenants.into_iter().filter(|t| t.id != first_party);
    for t in tenants {
        rt.authority
            .rotate_signing_keys(t.id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("rotated the signing keys of tenant {} ({})", t.name, t.id);
    }
    Ok(())
}
