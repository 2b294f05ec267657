//! Checking and applying the managed-identity parts of a world: user-assigned identities,
//! resources, federated credentials, and app roles granted to identities.

use std::collections::BTreeMap;

use skybridge_authority::{Authority, AuthorityError};
use skybridge_identity::{IdentitySpec, ResourceSpec};
use skybridge_store::{
    ApplicationRecord, IdentityResourceRecord, ManagedIdentityRecord, ManagedIdentityStore,
    RootKey, TenantRecord,
};
use toml::Spanned;

use super::identity::{DEFAULT_RESOURCE_GROUP, FederatedCredential, RESOURCE_KINDS};
use super::{LoadedWorld, WorldError};

type Result<T> = std::result::Result<T, WorldError>;

/// What a managed-identity reference in an assignment names.
pub enum IdentityRef {
    /// A user-assigned identity, `<tenant>/<name>`.
    User(String),
    /// A resource's system-assigned identity, by resource name.
    System(String),
}

/// Resolves `managed_identity = "…"` of an assignment in `tenant`.
pub fn resolve_identity_ref(
    w: &LoadedWorld,
    tenant: &str,
    name: &Spanned<String>,
) -> Result<IdentityRef> {
    let world = &w.world;
    let user = world
        .managed_identities
        .iter()
        .any(|m| m.tenant.get_ref() == tenant && m.name.get_ref() == name.get_ref());
    let system = world.resources.iter().any(|r| {
        r.tenant.get_ref() == tenant && r.name.get_ref() == name.get_ref() && r.system_assigned
    });
    match (user, system) {
        (true, true) => Err(w.error(name.span(), format!(
            "'{}' names both a user-assigned identity and a resource's system-assigned identity in tenant '{tenant}'; rename one",
            name.get_ref()
        ))),
        (true, false) => Ok(IdentityRef::User(format!("{tenant}/{}", name.get_ref()))),
        (false, true) => Ok(IdentityRef::System(name.get_ref().clone())),
        (false, false) => Err(w.error(name.span(), format!(
            "no user-assigned identity or system-assigned resource '{}' in tenant '{tenant}'",
            name.get_ref()
        ))),
    }
}

fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks identities, resources and federated credentials against the world's tenants.
pub fn check(w: &LoadedWorld, tenants: &[&str]) -> Result<()> {
    let world = &w.world;
    let known_tenant = |s: &Spanned<String>| -> Result<()> {
        if tenants.contains(&s.get_ref().as_str()) {
            Ok(())
        } else {
            Err(w.error(s.span(), format!("unknown tenant '{}'", s.get_ref())))
        }
    };
    let mut seen: Vec<(String, String)> = Vec::new();
    for m in &world.managed_identities {
        known_tenant(&m.tenant)?;
        if !valid_name(m.name.get_ref()) {
            return Err(w.error(
                m.name.span(),
                "identity names are 1-128 characters of A-Z, a-z, 0-9, '-', '_'",
            ));
        }
        let key = (m.tenant.get_ref().clone(), m.name.get_ref().clone());
        if seen.contains(&key) {
            return Err(w.error(
                m.name.span(),
                format!("managed identity '{}' is declared twice", m.name.get_ref()),
            ));
        }
        seen.push(key);
    }
    let mut resources: Vec<&str> = Vec::new();
    for r in &world.resources {
        known_tenant(&r.tenant)?;
        if !valid_name(r.name.get_ref()) {
            return Err(w.error(
                r.name.span(),
                "resource names are 1-128 characters of A-Z, a-z, 0-9, '-', '_'",
            ));
        }
        if resources.contains(&r.name.get_ref().as_str()) {
            return Err(w.error(
                r.name.span(),
                format!("resource '{}' is declared twice", r.name.get_ref()),
            ));
        }
        resources.push(r.name.get_ref());
        if let Some(kind) = &r.kind
            && !RESOURCE_KINDS.contains(&kind.get_ref().as_str())
        {
            return Err(w.error(
                kind.span(),
                format!("resource kind must be one of {}", RESOURCE_KINDS.join(", ")),
            ));
        }
        for u in &r.user_assigned {
            if !seen.contains(&(r.tenant.get_ref().clone(), u.get_ref().clone())) {
                return Err(w.error(
                    u.span(),
                    format!(
                        "no user-assigned identity '{}' in tenant '{}'",
                        u.get_ref(),
                        r.tenant.get_ref()
                    ),
                ));
            }
        }
    }
    for app in &world.applications {
        for f in &app.federated_credentials {
            check_federated(w, f, tenants, &seen)?;
        }
    }
    Ok(())
}

fn check_federated(
    w: &LoadedWorld,
    f: &FederatedCredential,
    tenants: &[&str],
    identities: &[(String, String)],
) -> Result<()> {
    match (&f.issuer, &f.issuer_tenant) {
        (Some(_), None) => {}
        (None, Some(t)) if tenants.contains(&t.get_ref().as_str()) => {}
        (None, Some(t)) => {
            return Err(w.error(t.span(), format!("unknown tenant '{}'", t.get_ref())));
        }
        _ => {
            return Err(w.error(
                f.name.span(),
                "give exactly one of 'issuer' and 'issuer_tenant'",
            ));
        }
    }
    match (&f.subject, &f.subject_identity) {
        (Some(_), None) => {}
        (None, Some(s)) => {
            let Some((t, n)) = s.get_ref().split_once('/') else {
                return Err(w.error(
                    s.span(),
                    "write the identity as '<tenant>/<user-assigned identity>'",
                ));
            };
            if !identities.contains(&(t.to_string(), n.to_string())) {
                return Err(w.error(s.span(), format!(
                    "no user-assigned identity '{}' (only user-assigned identities can be federated credentials)",
                    s.get_ref()
                )));
            }
        }
        _ => {
            return Err(w.error(
                f.name.span(),
                "give exactly one of 'subject' and 'subject_identity'",
            ));
        }
    }
    Ok(())
}

/// Identities and resources created by a world.
#[derive(Debug, Default)]
pub struct AppliedIdentities {
    /// User-assigned identities by `<tenant>/<name>`.
    pub identities: BTreeMap<String, ManagedIdentityRecord>,
    /// Resources by name.
    pub resources: BTreeMap<String, IdentityResourceRecord>,
}

/// Applies identities and resources (after tenants).
pub async fn apply_identities(
    w: &LoadedWorld,
    authority: &Authority,
    store: &dyn ManagedIdentityStore,
    root_key: &RootKey,
    tenants: &BTreeMap<String, TenantRecord>,
) -> Result<AppliedIdentities> {
    let world = &w.world;
    let mut out = AppliedIdentities::default();
    let err = |span: std::ops::Range<usize>| {
        move |e: AuthorityError| w.error(span.clone(), e.to_string())
    };
    for m in &world.managed_identities {
        let tenant = &tenants[m.tenant.get_ref()];
        let record = skybridge_identity::ensure_user_identity(
            store,
            authority,
            &IdentitySpec {
                tenant_id: tenant.id,
                name: m.name.get_ref().clone(),
                client_id: m.client_id,
                principal_id: m.principal_id,
                subscription_id: m.subscription_id.unwrap_or(tenant.id),
                resource_group: m
                    .resource_group
                    .clone()
                    .unwrap_or_else(|| DEFAULT_RESOURCE_GROUP.into()),
            },
        )
        .await
        .map_err(err(m.name.span()))?;
        out.identities
            .insert(format!("{}/{}", tenant.name, record.name), record);
    }
    for r in &world.resources {
        let tenant = &tenants[r.tenant.get_ref()];
        let users = r
            .user_assigned
            .iter()
            .map(|u| out.identities[&format!("{}/{}", tenant.name, u.get_ref())].client_id)
            .collect();
        let record = skybridge_identity::ensure_resource(
            store,
            authority,
            root_key,
            &ResourceSpec {
                tenant_id: tenant.id,
                name: r.name.get_ref().clone(),
                kind: r
                    .kind
                    .as_ref()
                    .map_or_else(|| "host".into(), |k| k.get_ref().clone()),
                system_assigned: r.system_assigned,
                user_identities: users,
                subscription_id: r.subscription_id.unwrap_or(tenant.id),
                resource_group: r
                    .resource_group
                    .clone()
                    .unwrap_or_else(|| DEFAULT_RESOURCE_GROUP.into()),
            },
        )
        .await
        .map_err(err(r.name.span()))?;
        out.resources.insert(record.name.clone(), record);
    }
    Ok(out)
}

/// Applies an application's federated credentials (after identities).
pub async fn apply_federated(
    w: &LoadedWorld,
    authority: &Authority,
    app: &ApplicationRecord,
    credentials: &[FederatedCredential],
    tenants: &BTreeMap<String, TenantRecord>,
    identities: &AppliedIdentities,
) -> Result<()> {
    for f in credentials {
        let issuer = match (&f.issuer, &f.issuer_tenant) {
            (Some(i), _) => i.get_ref().clone(),
            (None, Some(t)) => authority.config().v2_issuer(&tenants[t.get_ref()].id),
            (None, None) => return Err(w.error(f.name.span(), "no issuer")),
        };
        let subject = match (&f.subject, &f.subject_identity) {
            (Some(s), _) => s.get_ref().clone(),
            (None, Some(s)) => identities.identities[s.get_ref()].principal_id.to_string(),
            (None, None) => return Err(w.error(f.name.span(), "no subject")),
        };
        let audiences = f.audiences.as_ref().map_or_else(
            || vec![skybridge_authority::federation::TOKEN_EXCHANGE_AUDIENCE.to_string()],
            |a| a.get_ref().clone(),
        );
        let span = f
            .audiences
            .as_ref()
            .map_or_else(|| f.name.span(), Spanned::span);
        authority
            .ensure_federated_credential(
                app.app_id,
                f.name.get_ref(),
                &issuer,
                &subject,
                &audiences,
            )
            .await
            .map_err(|e| w.error(span, e.to_string()))?;
    }
    Ok(())
}

/// The service principal of an identity reference, for an app-role grant.
pub async fn identity_principal(
    authority: &Authority,
    identities: &AppliedIdentities,
    reference: &IdentityRef,
) -> std::result::Result<skybridge_store::ServicePrincipalRecord, AuthorityError> {
    let (tenant_id, client_id) = match reference {
        IdentityRef::User(key) => identities
            .identities
            .get(key)
            .map(|i| (i.tenant_id, i.client_id)),
        IdentityRef::System(name) => identities
            .resources
            .get(name)
            .and_then(|r| r.system_identity.map(|c| (r.tenant_id, c))),
    }
    .ok_or_else(|| {
        AuthorityError::InvalidDirectory("the managed identity does not exist".into())
    })?;
    authority
        .store()
        .service_principal(tenant_id, client_id)
        .await?
        .ok_or_else(|| {
            AuthorityError::InvalidDirectory(format!(
                "identity {client_id} has no service principal"
            ))
        })
}
