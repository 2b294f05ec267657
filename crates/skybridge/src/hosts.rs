//! `skybridge hosts`: the hosts-file lines for every name served, and `--write` to add the
//! missing ones idempotently.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::runtime::Urls;

/// `skybridge hosts` options.
#[derive(Args)]
pub struct HostsArgs {
    /// Domain under which services are named.
    #[arg(long, env = "SKYBRIDGE_DOMAIN", default_value = "skybridge.localhost")]
    domain: String,
    /// Address the names should resolve to.
    #[arg(long, default_value = "127.0.0.1")]
    address: String,
    /// Append the missing lines to the hosts file.
    #[arg(long)]
    write: bool,
    /// The hosts file to write.
    #[arg(long, default_value = "/etc/hosts")]
    hosts_file: PathBuf,
    /// World file whose vaults (`<vault>.vault.<domain>`) to include; the seed world by default.
    #[arg(long, env = "SKYBRIDGE_WORLD")]
    world: Option<PathBuf>,
}

/// Lines missing from `existing` for `hosts`.
fn missing_lines(existing: &str, address: &str, hosts: &[String]) -> Vec<String> {
    hosts
        .iter()
        .filter(|host| {
            !existing.lines().any(|line| {
                let line = line.split('#').next().unwrap_or("");
                let mut fields = line.split_whitespace();
                fields.next() == Some(address) && fields.any(|f| f.eq_ignore_ascii_case(host))
            })
        })
        .map(|host| format!("{address} {host}"))
        .collect()
}

/// Runs `skybridge hosts`.
pub fn run(args: HostsArgs) -> anyhow::Result<()> {
    let urls = Urls {
        domain: args.domain.to_ascii_lowercase(),
        port: 443,
    };
    let world = match &args.world {
        Some(path) => crate::world::LoadedWorld::read(path)?,
        None => crate::world::LoadedWorld::seed()?,
    };
    let vaults: Vec<String> = world
        .world
        .vaults
        .iter()
        .map(|v| v.name.get_ref().clone())
        .collect();
    let mut hosts = urls.hosts(&vaults);
    hosts.extend(crate::workflows::hosts(&world, &urls));
    // API Management gateways: `<gateway>.azure-api.<domain>` (gateways.rs serves them).
    hosts.extend(
        world
            .world
            .gateways
            .iter()
            .map(|g| format!("{}.azure-api.{}", g.name.to_ascii_lowercase(), urls.domain)),
    );
    if !args.write {
        for host in &hosts {
            println!("{} {host}", args.address);
        }
        return Ok(());
    }
    let existing = std::fs::read_to_string(&args.hosts_file).unwrap_or_default();
    let missing = missing_lines(&existing, &args.address, &hosts);
    if missing.is_empty() {
        println!(
            "{} already has every Skybridge host",
            args.hosts_file.display()
        );
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&args.hosts_file)
        .with_context(|| format!("opening {} (run as root?)", args.hosts_file.display()))?;
    let mut text = String::new();
    if !existing.is_empty() && !existing.ends_with('\n') {
        text.push('\n');
    }
    for line in &missing {
        text.push_str(line);
        text.push_str(" # skybridge\n");
    }
    file.write_all(text.as_bytes())?;
    println!(
        "added {} line(s) to {}",
        missing.len(),
        args.hosts_file.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_missing_hosts_are_added() {
        let hosts = vec!["login.a".to_string(), "sts.a".to_string()];
        let existing = "127.0.0.1 localhost\n127.0.0.1 login.a # skybridge\n#127.0.0.1 sts.a\n";
        assert_eq!(
            missing_lines(existing, "127.0.0.1", &hosts),
            vec!["127.0.0.1 sts.a"]
        );
        assert!(missing_lines("127.0.0.1 login.a sts.a\n", "127.0.0.1", &hosts).is_empty());
    }
}
