//! Resolving `[[vault]]` once the directory is applied: principals to object ids, certificate
//! files read, into the specs the vault service applies (world/vault.rs holds the schema and
//! the static checks).

use base64::Engine;
use skybridge_authority::Authority;
use skybridge_store::ManagedIdentityStore;
use skybridge_vault::api::certificates::{
    CertificatePolicy, IssuerParameters, KeyProperties, SecretProperties, SubjectAlternativeNames,
    X509Properties,
};
use skybridge_vault::service::{SeedCertificate, SeedKey, SeedSecret, VaultSpec};
use toml::Spanned;
use uuid::Uuid;

use super::vault::{VaultCertificate, secret_value};
use super::{AppliedWorld, LoadedWorld, WorldError};

type Result<T> = std::result::Result<T, WorldError>;

async fn principal_id(
    w: &LoadedWorld,
    p: &Spanned<String>,
    tenant_id: Uuid,
    applied: &AppliedWorld,
    authority: &Authority,
    identities: &dyn ManagedIdentityStore,
) -> Result<Uuid> {
    let text = p.get_ref();
    let fail = |m: String| w.error(p.span(), m);
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(id);
    }
    if let Some(rest) = text.strip_prefix("identity:") {
        return applied
            .identities
            .identities
            .get(rest)
            .map(|m| m.principal_id)
            .ok_or_else(|| fail(format!("unknown managed identity '{rest}'")));
    }
    if let Some(rest) = text.strip_prefix("resource:") {
        let client = applied
            .identities
            .resources
            .get(rest)
            .and_then(|r| r.system_identity)
            .ok_or_else(|| fail(format!("resource '{rest}' has no system-assigned identity")))?;
        let all = identities
            .managed_identities()
            .await
            .map_err(|e| fail(e.to_string()))?;
        return all
            .iter()
            .find(|m| m.client_id == client || m.principal_id == client)
            .map(|m| m.principal_id)
            .ok_or_else(|| fail(format!("resource '{rest}' has no system-assigned identity")));
    }
    let app = applied
        .applications
        .get(text)
        .ok_or_else(|| fail(format!("unknown application '{text}'")))?;
    let sp = authority
        .store()
        .service_principal(tenant_id, app.app_id)
        .await
        .map_err(|e| fail(e.to_string()))?;
    sp.map(|sp| sp.id).ok_or_else(|| {
        fail(format!("application '{text}' has no service principal in the vault's tenant; add a [[service_principal]] for it"))
    })
}

/// Resolves every `[[vault]]` into what the vault service applies.
pub async fn specs(
    w: &LoadedWorld,
    applied: &AppliedWorld,
    authority: &Authority,
    identities: &dyn ManagedIdentityStore,
) -> Result<Vec<VaultSpec>> {
    let mut out = Vec::new();
    for v in &w.world.vaults {
        let tenant_id = applied
            .tenants
            .get(v.tenant.get_ref())
            .map(|t| t.id)
            .ok_or_else(|| {
                w.error(
                    v.tenant.span(),
                    format!("unknown tenant '{}'", v.tenant.get_ref()),
                )
            })?;
        let mut role_assignments = Vec::new();
        for a in &v.role_assignments {
            let principal =
                principal_id(w, &a.principal, tenant_id, applied, authority, identities).await?;
            let role = skybridge_vault::rbac::role(a.role.get_ref())
                .ok_or_else(|| w.error(a.role.span(), "unknown role"))?;
            let scope = a
                .scope
                .as_ref()
                .map(|s| s.get_ref().clone())
                .unwrap_or_default();
            role_assignments.push((principal, role.id, scope));
        }
        let keys = v
            .keys
            .iter()
            .map(|k| SeedKey {
                name: k.name.get_ref().clone(),
                kty: k.kty.get_ref().clone(),
                key_size: k.size,
                crv: k.curve.clone(),
                key_ops: k.key_ops.clone(),
                tags: None,
            })
            .collect();
        let secrets = v
            .secrets
            .iter()
            .map(|s| {
                Ok(SeedSecret {
                    name: s.name.get_ref().clone(),
                    value: secret_value(w, s)?,
                    content_type: s.content_type.clone(),
                    tags: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut certificates = Vec::new();
        for c in &v.certificates {
            certificates.push(seed_certificate(w, c)?);
        }
        out.push(VaultSpec {
            name: v.name.get_ref().to_ascii_lowercase(),
            tenant_id,
            retention_days: *v.soft_delete_retention_days.get_ref(),
            purge_protection: v.purge_protection,
            role_assignments,
            keys,
            secrets,
            certificates,
            throttling: v.throttling.as_ref().map(|t| t.get_ref().limits()),
        });
    }
    Ok(out)
}

fn seed_certificate(w: &LoadedWorld, c: &VaultCertificate) -> Result<SeedCertificate> {
    let import = match &c.file {
        Some(file) => {
            let path = w.resolve_path(file.get_ref());
            let bytes = std::fs::read(&path).map_err(|e| {
                w.error(file.span(), format!("cannot read {}: {e}", path.display()))
            })?;
            Some(match std::str::from_utf8(&bytes) {
                Ok(text) if text.contains("-----BEGIN") => text.to_string(),
                _ => base64::engine::general_purpose::STANDARD.encode(&bytes),
            })
        }
        None => None,
    };
    let password = match &c.password_env {
        Some(var) => Some(std::env::var(var.get_ref()).map_err(|_| {
            w.error(
                var.span(),
                format!("environment variable '{}' is not set", var.get_ref()),
            )
        })?),
        None => c.password.clone(),
    };
    let content_type = c.content_type.clone().or_else(|| {
        import
            .as_ref()
            .filter(|v| v.contains("-----BEGIN"))
            .map(|_| "application/x-pem-file".to_string())
    });
    let policy = CertificatePolicy {
        key_props: Some(KeyProperties {
            exportable: c.exportable,
            kty: c.kty.clone(),
            key_size: c.size,
            crv: c.curve.clone(),
            reuse_key: None,
        }),
        secret_props: Some(SecretProperties { content_type }),
        x509_props: Some(X509Properties {
            subject: c.subject.clone(),
            sans: (!c.dns_names.is_empty()).then(|| SubjectAlternativeNames {
                dns_names: Some(c.dns_names.clone()),
                ..SubjectAlternativeNames::default()
            }),
            validity_months: c.validity_months,
            ..X509Properties::default()
        }),
        issuer: Some(IssuerParameters {
            name: Some("Self".into()),
            ..IssuerParameters::default()
        }),
        ..CertificatePolicy::default()
    };
    Ok(SeedCertificate {
        name: c.name.get_ref().clone(),
        policy,
        import,
        password,
        tags: None,
    })
}
