//! `skybridge policy check FILE...`: loads API Management policy documents and fragments with
//! the gateway's own loader, prints every problem as `file:line:col: error|warning: message`,
//! and fails when any is an error — so a broken policy is caught in CI, not by the first request.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use skybridge_gateway::policy::load::Source;

use crate::policy_check::{self, Options, Severity};

/// `skybridge policy` subcommands.
#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Check policy documents (`<policies>`) and fragments (`<fragment>`, id = file name without
    /// `.xml` / `.fragment.xml`); documents may include the fragments checked with them.
    /// Names defined elsewhere (`{{named values}}`, other fragments, backends) are warnings.
    Check(CheckArgs),
}

/// `skybridge policy check` options.
#[derive(Args)]
pub struct CheckArgs {
    /// Policy or fragment files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// A named value, `NAME=VALUE` (repeatable); undefined names get a placeholder.
    #[arg(long = "named-value", value_name = "NAME=VALUE")]
    named_values: Vec<String>,
    /// Treat names that cannot be resolved (named values, fragments, backends) as errors.
    #[arg(long)]
    strict: bool,
}

/// Runs a `skybridge policy` subcommand.
pub fn run(command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    let mut named = HashMap::new();
    for nv in &args.named_values {
        let (name, value) = nv
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--named-value {nv:?}: expected NAME=VALUE"))?;
        named.insert(name.trim().to_owned(), value.to_owned());
    }
    let mut sources = Vec::new();
    let mut unreadable = 0usize;
    for path in &args.files {
        let label = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => sources.push(Source { label, text }),
            Err(e) => {
                println!("{label}:1:1: error: cannot read file: {e}");
                unreadable += 1;
            }
        }
    }
    let findings = policy_check::check(
        &sources,
        &Options {
            named_values: named,
            strict: args.strict,
        },
    );
    for f in &findings {
        println!("{f}");
    }
    let errors = unreadable
        + findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
    let warnings = findings.len() + unreadable - errors;
    eprintln!(
        "checked {} file(s): {errors} error(s), {warnings} warning(s)",
        args.files.len()
    );
    if errors > 0 {
        anyhow::bail!("{errors} error(s) in policy documents");
    }
    Ok(())
}
