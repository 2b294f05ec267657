//! First-issue path of managed-identity tokens, against the RS256 signing limit measured in the
//! same run with the same library: `cargo bench -p skybridge-identity --bench issue`.
//! Every call is what a managed-identity token-cache miss costs (the endpoint's cache is not
//! in this path): one RSA-2048 signature plus the directory reads and claims; the ratio shows
//! what the rest costs.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use skybridge_authority::{Authority, AuthorityConfig, TenantSpec};
use skybridge_jose::{Alg, LocalSigner, SystemClock};
use skybridge_store::{CachedDirectory, IdentityKind, ManagedIdentityRecord, RootKey, SqliteStore};
use uuid::Uuid;

const THREADS: usize = 2;
const SECONDS: u64 = 5;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .enable_all()
        .build()
        .unwrap();
    // The limit: raw RS256 signatures over a token-sized input, on THREADS threads.
    let (signer, _) = LocalSigner::generate(Alg::RS256, 2048).unwrap();
    let signer = Arc::new(signer);
    let input = vec![b'x'; 900];
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (signer, input) = (signer.clone(), &input);
                s.spawn(move || {
                    let mut n = 0;
                    while start.elapsed() < Duration::from_secs(SECONDS) {
                        signer.sign_sync(input).unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let limit = counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64();

    let issued = rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("sb-bench-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite = Arc::new(SqliteStore::open(&dir.join("db")).await.unwrap());
        let store = Arc::new(CachedDirectory::new(sqlite, Duration::from_secs(10)));
        let authority = Arc::new(Authority::new(
            store,
            Arc::new(RootKey::from_bytes(&[1; 32]).unwrap()),
            Arc::new(SystemClock),
            AuthorityConfig::new("https://login.bench", "https://sts.bench"),
        ));
        let home = authority.ensure_tenant(&TenantSpec { name: "home".into(), ..Default::default() }).await.unwrap();
        let mut identities = Vec::new();
        for i in 0..8 {
            let identity = ManagedIdentityRecord {
                client_id: Uuid::new_v4(),
                principal_id: Uuid::new_v4(),
                tenant_id: home.id,
                name: format!("id{i}"),
                kind: IdentityKind::User,
                resource_id: format!("/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id{i}"),
            };
            authority.ensure_managed_identity_principal(&identity).await.unwrap();
            identities.push(identity);
        }
        let identities = Arc::new(identities);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..THREADS * 4)
            .map(|_| {
                let (authority, identities, next) = (authority.clone(), identities.clone(), next.clone());
                tokio::spawn(async move {
                    while start.elapsed() < Duration::from_secs(SECONDS) {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % identities.len();
                        authority.issue_for_managed_identity(&identities[i], "https://vault.azure.net").await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let rate = next.load(std::sync::atomic::Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
        let _ = std::fs::remove_dir_all(&dir);
        rate
    });
    println!("RS256 signatures/s ({THREADS} threads, aws-lc-rs): {limit:.0}");
    println!("managed-identity first-issue tokens/s ({THREADS} threads): {issued:.0}");
    println!("ratio: {:.3}", issued / limit);
}
