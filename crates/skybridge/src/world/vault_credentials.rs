//! Application certificates that live in a vault of the world (`vault_certificate =
//! "<vault>/<certificate>"`): once the vault is seeded, the certificate's public part (its
//! current version's `cer`) is registered on the application. A renewed vault certificate is
//! picked up at the next start, as an app registration would be updated after a renewal.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use skybridge_authority::Authority;
use skybridge_store::{VaultObjectKind, VaultStore};

use super::{AppliedWorld, LoadedWorld, WorldError};

/// Registers every `vault_certificate` credential of the world.
pub async fn apply(
    w: &LoadedWorld,
    applied: &AppliedWorld,
    authority: &Authority,
    vaults: &dyn VaultStore,
) -> Result<(), WorldError> {
    for a in &w.world.applications {
        let key = format!("{}/{}", a.tenant.get_ref(), a.name.get_ref());
        let Some(app) = applied.applications.get(&key) else {
            continue;
        };
        for c in &a.certificates {
            let Some(reference) = &c.vault_certificate else {
                continue;
            };
            let fail = |m: String| w.error(reference.span(), m);
            let (vault, name) = reference
                .get_ref()
                .split_once('/')
                .ok_or_else(|| fail("write '<vault>/<certificate>'".into()))?;
            let record = vaults
                .latest_object_version(vault, VaultObjectKind::Certificate, name)
                .await
                .map_err(|e| fail(e.to_string()))?
                .ok_or_else(|| fail(format!("vault '{vault}' has no certificate '{name}'")))?;
            let meta: serde_json::Value = serde_json::from_str(&record.meta)
                .map_err(|e| fail(format!("certificate metadata: {e}")))?;
            let cer = meta
                .get("cer")
                .and_then(|v| v.as_str())
                .ok_or_else(|| fail(format!("certificate '{name}' has no public part yet")))?;
            let der = STANDARD
                .decode(cer)
                .map_err(|e| fail(format!("certificate '{name}': {e}")))?;
            authority
                .ensure_certificate_credential(app.app_id, c.name.get_ref(), &der)
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
    }
    Ok(())
}
