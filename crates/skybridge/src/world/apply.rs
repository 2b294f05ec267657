//! Applying a world to the authority. References are checked first, so a world with a typo
//! changes nothing; then every entry is applied through the authority's idempotent operations.

use std::collections::BTreeMap;

use skybridge_authority::{AppRoleSpec, ApplicationSpec, Authority, TenantSpec};
use skybridge_store::{ApplicationRecord, ManagedIdentityStore, RootKey, TenantRecord};
use toml::Spanned;

use super::schema::{Application, Secret};
use super::{LoadedWorld, WorldError};

/// The services a world is applied to.
pub struct Services<'a> {
    /// The authority (tenants, applications, grants).
    pub authority: &'a Authority,
    /// Where managed identities and their resources are stored.
    pub identities: &'a dyn ManagedIdentityStore,
    /// Seals identity headers.
    pub root_key: &'a RootKey,
}

/// What a world produced: the records scripts need in endpoints.json.
#[derive(Debug, Default)]
pub struct AppliedWorld {
    /// Managed identities and their resources.
    pub identities: super::apply_identity::AppliedIdentities,
    /// By tenant name.
    pub tenants: BTreeMap<String, TenantRecord>,
    /// By `<tenant>/<application>`.
    pub applications: BTreeMap<String, ApplicationRecord>,
}

type Result<T> = std::result::Result<T, WorldError>;

/// Splits a reference into (tenant, application): `app` means `default_tenant/app`.
fn app_ref<'a>(reference: &'a str, default_tenant: &'a str) -> (&'a str, &'a str) {
    reference
        .split_once('/')
        .unwrap_or((default_tenant, reference))
}

fn check_references(w: &LoadedWorld) -> Result<()> {
    let world = &w.world;
    let mut tenants: Vec<&str> = Vec::new();
    for t in &world.tenants {
        let name = t.name.get_ref();
        let valid = !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(w.error(
                t.name.span(),
                format!("tenant name '{name}' must be 1-63 characters of a-z, 0-9 and '-'"),
            ));
        }
        if tenants.contains(&name.as_str()) {
            return Err(w.error(t.name.span(), format!("tenant '{name}' is declared twice")));
        }
        tenants.push(name);
    }
    let known_tenant = |s: &Spanned<String>| -> Result<()> {
        if tenants.contains(&s.get_ref().as_str()) {
            Ok(())
        } else {
            Err(w.error(s.span(), format!("unknown tenant '{}'", s.get_ref())))
        }
    };
    let mut apps: Vec<(String, &Application)> = Vec::new();
    for a in &world.applications {
        known_tenant(&a.tenant)?;
        let key = format!("{}/{}", a.tenant.get_ref(), a.name.get_ref());
        if a.name.get_ref().is_empty() || a.name.get_ref().contains('/') {
            return Err(w.error(
                a.name.span(),
                "application names must be non-empty and contain no '/'",
            ));
        }
        if apps.iter().any(|(k, _)| *k == key) {
            return Err(w.error(
                a.name.span(),
                format!("application '{key}' is declared twice"),
            ));
        }
        if !matches!(a.access_token_version.get_ref(), 1 | 2) {
            return Err(w.error(
                a.access_token_version.span(),
                "access_token_version must be 1 or 2",
            ));
        }
        for s in &a.secrets {
            secret_value(w, s)?;
        }
        for c in &a.certificates {
            match (&c.file, &c.vault_certificate) {
                (Some(_), None) => {}
                (None, Some(r)) => {
                    let known = r.get_ref().split_once('/').is_some_and(|(v, cert)| {
                        world.vaults.iter().any(|vault| {
                            vault.name.get_ref() == v
                                && vault.certificates.iter().any(|x| x.name.get_ref() == cert)
                        })
                    });
                    if !known {
                        return Err(w.error(r.span(), format!(
                            "no certificate '{}' declared in a [[vault]] of this world (write '<vault>/<certificate>')",
                            r.get_ref()
                        )));
                    }
                }
                _ => {
                    return Err(w.error(
                        c.name.span(),
                        "give exactly one of 'file' and 'vault_certificate'",
                    ));
                }
            }
        }
        apps.push((key, a));
    }
    let find_app = |r: &Spanned<String>, tenant: &str| -> Result<&Application> {
        let (t, name) = app_ref(r.get_ref(), tenant);
        apps.iter()
            .find(|(k, _)| *k == format!("{t}/{name}"))
            .map(|(_, a)| *a)
            .ok_or_else(|| w.error(r.span(), format!("unknown application '{t}/{name}'")))
    };
    for sp in &world.service_principals {
        known_tenant(&sp.tenant)?;
        if !sp.application.get_ref().contains('/') {
            return Err(w.error(
                sp.application.span(),
                "write the application as '<home tenant>/<application>'",
            ));
        }
        let app = find_app(&sp.application, "")?;
        if !app.multi_tenant && app.tenant.get_ref() != sp.tenant.get_ref() {
            return Err(w.error(sp.application.span(), format!(
                "application '{}' is single-tenant; set multi_tenant = true to provision it in '{}'",
                sp.application.get_ref(), sp.tenant.get_ref()
            )));
        }
    }
    super::apply_identity::check(w, &tenants)?;
    for a in &world.app_role_assignments {
        known_tenant(&a.tenant)?;
        let resource = find_app(&a.resource, a.tenant.get_ref())?;
        let mut checked = vec![(resource, a.resource.span())];
        match (&a.principal, &a.managed_identity) {
            (Some(p), None) => checked.push((find_app(p, a.tenant.get_ref())?, p.span())),
            (None, Some(m)) => {
                super::apply_identity::resolve_identity_ref(w, a.tenant.get_ref(), m)?;
            }
            _ => {
                return Err(w.error(
                    a.tenant.span(),
                    "give exactly one of 'principal' and 'managed_identity'",
                ));
            }
        }
        for (app, span) in checked {
            if app.tenant.get_ref() != a.tenant.get_ref() && !app.multi_tenant {
                return Err(w.error(
                    span,
                    format!(
                        "application '{}/{}' is single-tenant and lives outside tenant '{}'",
                        app.tenant.get_ref(),
                        app.name.get_ref(),
                        a.tenant.get_ref()
                    ),
                ));
            }
        }
        if !resource
            .app_roles
            .iter()
            .any(|r| r.value.get_ref() == a.role.get_ref())
        {
            return Err(w.error(
                a.role.span(),
                format!(
                    "application '{}' has no app role '{}'",
                    resource.name.get_ref(),
                    a.role.get_ref()
                ),
            ));
        }
    }
    Ok(())
}

fn secret_value(w: &LoadedWorld, s: &Secret) -> Result<String> {
    match (&s.value, &s.value_env) {
        (Some(v), None) => Ok(v.get_ref().clone()),
        (None, Some(var)) => std::env::var(var.get_ref()).map_err(|_| {
            w.error(
                var.span(),
                format!("environment variable '{}' is not set", var.get_ref()),
            )
        }),
        _ => Err(w.error(s.name.span(), "give exactly one of 'value' and 'value_env'")),
    }
}

fn secret_end(w: &LoadedWorld, s: &Secret) -> Result<Option<i64>> {
    s.end
        .as_ref()
        .map(|end| {
            time::OffsetDateTime::parse(
                end.get_ref(),
                &time::format_description::well_known::Rfc3339,
            )
            .map(|t| t.unix_timestamp())
            .map_err(|e| w.error(end.span(), format!("'end' is not an RFC 3339 time: {e}")))
        })
        .transpose()
}

fn read_certificate(w: &LoadedWorld, file: &Spanned<String>) -> Result<Vec<u8>> {
    let path = w.resolve_path(file.get_ref());
    let bytes = std::fs::read(&path)
        .map_err(|e| w.error(file.span(), format!("cannot read {}: {e}", path.display())))?;
    if let Ok(text) = std::str::from_utf8(&bytes)
        && text.contains("-----BEGIN")
    {
        let certs = skybridge_pki::pem::certificates(text)
            .map_err(|e| w.error(file.span(), format!("{}: {e}", path.display())))?;
        return certs.into_iter().next().ok_or_else(|| {
            w.error(
                file.span(),
                format!("{} holds no CERTIFICATE block", path.display()),
            )
        });
    }
    skybridge_pki::parse_certificate(&bytes).map_err(|e| {
        w.error(
            file.span(),
            format!("{} is not a PEM or DER certificate: {e}", path.display()),
        )
    })?;
    Ok(bytes)
}

/// Checks and applies a world. Nothing is written when a reference is wrong.
pub async fn apply(w: &LoadedWorld, services: &Services<'_>) -> Result<AppliedWorld> {
    let authority = services.authority;
    check_references(w)?;
    let world = &w.world;
    let mut out = AppliedWorld::default();
    let directory = |span: std::ops::Range<usize>| {
        move |e: skybridge_authority::AuthorityError| w.error(span.clone(), e.to_string())
    };

    for t in &world.tenants {
        let record = authority
            .ensure_tenant(&TenantSpec {
                name: t.name.get_ref().clone(),
                id: t.id,
                domains: t.domains.clone(),
                display_name: t.display_name.clone(),
            })
            .await
            .map_err(directory(t.name.span()))?;
        out.tenants.insert(record.name.clone(), record);
    }

    for a in &world.applications {
        let tenant = &out.tenants[a.tenant.get_ref()];
        let spec = ApplicationSpec {
            tenant_id: tenant.id,
            name: a.name.get_ref().clone(),
            app_id: a.client_id,
            identifier_uris: a.identifier_uris.clone(),
            app_roles: a
                .app_roles
                .iter()
                .map(|r| AppRoleSpec {
                    value: r.value.get_ref().clone(),
                    display_name: r.display_name.clone(),
                    description: r.description.clone(),
                    id: r.id,
                    allowed_member_types: r.allowed_member_types.clone(),
                })
                .collect(),
            access_token_accepted_version: *a.access_token_version.get_ref(),
            multi_tenant: a.multi_tenant,
            app_role_assignment_required: a.app_role_assignment_required,
        };
        let app = authority
            .ensure_application(&spec)
            .await
            .map_err(directory(a.name.span()))?;
        for s in &a.secrets {
            let value = secret_value(w, s)?;
            authority
                .ensure_client_secret(app.app_id, s.name.get_ref(), &value, secret_end(w, s)?)
                .await
                .map_err(directory(s.name.span()))?;
        }
        for c in &a.certificates {
            // Vault certificates are registered once the vault exists (vault_credentials).
            let Some(file) = &c.file else { continue };
            let der = read_certificate(w, file)?;
            authority
                .ensure_certificate_credential(app.app_id, c.name.get_ref(), &der)
                .await
                .map_err(directory(file.span()))?;
        }
        out.applications
            .insert(format!("{}/{}", tenant.name, app.name), app);
    }

    out.identities = super::apply_identity::apply_identities(
        w,
        authority,
        services.identities,
        services.root_key,
        &out.tenants,
    )
    .await?;
    for a in &world.applications {
        let app = &out.applications[&format!("{}/{}", a.tenant.get_ref(), a.name.get_ref())];
        super::apply_identity::apply_federated(
            w,
            authority,
            app,
            &a.federated_credentials,
            &out.tenants,
            &out.identities,
        )
        .await?;
    }

    for sp in &world.service_principals {
        let tenant = &out.tenants[sp.tenant.get_ref()];
        let app = &out.applications[sp.application.get_ref()];
        authority
            .ensure_service_principal(tenant.id, app)
            .await
            .map_err(directory(sp.application.span()))?;
    }

    for a in &world.app_role_assignments {
        let tenant_name = a.tenant.get_ref();
        let tenant = &out.tenants[tenant_name];
        let key = |r: &str| {
            let (t, n) = app_ref(r, tenant_name);
            format!("{t}/{n}")
        };
        let resource = &out.applications[&key(a.resource.get_ref())];
        match (&a.principal, &a.managed_identity) {
            (Some(p), _) => {
                let principal = &out.applications[&key(p.get_ref())];
                authority
                    .ensure_app_role_assignment(tenant.id, principal, resource, a.role.get_ref())
                    .await
                    .map_err(directory(a.role.span()))?;
            }
            (None, Some(m)) => {
                let reference = super::apply_identity::resolve_identity_ref(w, tenant_name, m)?;
                let sp = super::apply_identity::identity_principal(
                    authority,
                    &out.identities,
                    &reference,
                )
                .await
                .map_err(directory(m.span()))?;
                authority
                    .grant_app_role(tenant.id, &sp, resource, a.role.get_ref())
                    .await
                    .map_err(directory(a.role.span()))?;
            }
            (None, None) => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn parse(text: &str) -> LoadedWorld {
        LoadedWorld::parse(PathBuf::from("w.toml"), text.to_string()).unwrap()
    }

    #[test]
    fn the_documented_example_is_valid() {
        let doc = include_str!("../../../../docs/world.md");
        let start = doc.find("```toml\n").unwrap() + 8;
        let end = start + doc[start..].find("```").unwrap();
        check_references(&parse(&doc[start..end])).unwrap();
    }

    #[test]
    fn references_are_located() {
        let base = "version = 1\n[[tenant]]\nname = \"p\"\n[[application]]\ntenant = \"p\"\nname = \"api\"\n  [[application.app_role]]\n  value = \"R\"\n";
        let cases = [
            (
                "[[application]]\ntenant = \"q\"\nname = \"x\"\n",
                10,
                10,
                "unknown tenant 'q'",
            ),
            (
                "[[app_role_assignment]]\ntenant = \"p\"\nprincipal = \"nope\"\nresource = \"api\"\nrole = \"R\"\n",
                11,
                13,
                "unknown application 'p/nope'",
            ),
            (
                "[[app_role_assignment]]\ntenant = \"p\"\nprincipal = \"api\"\nresource = \"api\"\nrole = \"W\"\n",
                13,
                8,
                "no app role 'W'",
            ),
            ("[[tenant]]\nname = \"p\"\n", 10, 8, "declared twice"),
            (
                "[[tenant]]\nname = \"Bad Name\"\n",
                10,
                8,
                "must be 1-63 characters",
            ),
        ];
        for (extra, line, column, message) in cases {
            let err = check_references(&parse(&format!("{base}{extra}"))).unwrap_err();
            assert_eq!((err.line, err.column), (line, column), "{err}");
            assert!(err.message.contains(message), "{err}");
        }
    }
}
