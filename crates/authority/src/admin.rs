//! Changing the directory: what a world file or the admin CLI declares. Every operation is
//! idempotent: applied twice it changes nothing, and it keeps the ids it created before.

use skybridge_store::{
    AppRoleAssignmentRecord, AppRoleRecord, ApplicationRecord, FederatedCredentialRecord,
    KeyCredentialRecord, PasswordCredentialRecord, ServicePrincipalRecord, SigningKeyStatus,
    TenantRecord,
};
use uuid::Uuid;

use crate::client_auth::hash_secret;
use crate::first_party::{MICROSOFT_SERVICES_NAME, MICROSOFT_SERVICES_TENANT, first_party_apps};
use crate::keys::new_signing_key;
use crate::{Authority, AuthorityError};

/// A tenant as declared.
#[derive(Debug, Clone, Default)]
pub struct TenantSpec {
    /// Short name (`home`).
    pub name: String,
    /// A fixed id; generated once when absent.
    pub id: Option<Uuid>,
    /// Extra domains; `<name>.onmicrosoft.com` is always added.
    pub domains: Vec<String>,
    /// Display name; defaults to the name.
    pub display_name: Option<String>,
}

/// An app role as declared.
#[derive(Debug, Clone, Default)]
pub struct AppRoleSpec {
    /// The `roles` claim value.
    pub value: String,
    /// Display name; defaults to the value.
    pub display_name: Option<String>,
    /// Description.
    pub description: String,
    /// A fixed id; otherwise kept from before or generated.
    pub id: Option<Uuid>,
    /// `Application` and/or `User`; defaults to `Application`.
    pub allowed_member_types: Vec<String>,
}

/// An application as declared.
#[derive(Debug, Clone)]
pub struct ApplicationSpec {
    /// Home tenant.
    pub tenant_id: Uuid,
    /// Short name, unique in the tenant.
    pub name: String,
    /// A fixed client id; generated once when absent.
    pub app_id: Option<Uuid>,
    /// Identifier URIs.
    pub identifier_uris: Vec<String>,
    /// App roles.
    pub app_roles: Vec<AppRoleSpec>,
    /// 1 or 2.
    pub access_token_accepted_version: u8,
    /// Whether other tenants may provision it.
    pub multi_tenant: bool,
    /// Whether callers need a role to get tokens for it.
    pub app_role_assignment_required: bool,
}

fn random_salt() -> Result<Vec<u8>, AuthorityError> {
    let mut salt = vec![0u8; 16];
    aws_lc_rs::rand::fill(&mut salt)
        .map_err(|_| AuthorityError::Internal("no randomness".into()))?;
    Ok(salt)
}

/// Client secrets declared without an end date stay valid this long (Entra's maximum is 2 years;
/// a dev world should not expire under its users).
const DEFAULT_SECRET_DAYS: i64 = 3650;

impl Authority {
    /// Creates or updates a tenant, makes sure it has signing keys, and provisions the
    /// first-party applications (Key Vault, ARM, token exchange) into it.
    pub async fn ensure_tenant(&self, spec: &TenantSpec) -> Result<TenantRecord, AuthorityError> {
        let record = self.ensure_tenant_record(spec).await?;
        self.ensure_signing_keys(record.id).await?;
        for app in self.ensure_first_party().await? {
            self.ensure_service_principal(record.id, &app).await?;
        }
        Ok(record)
    }

    /// Registers the first-party applications in the Microsoft Services tenant.
    pub async fn ensure_first_party(&self) -> Result<Vec<ApplicationRecord>, AuthorityError> {
        let home = self
            .ensure_tenant_record(&TenantSpec {
                name: MICROSOFT_SERVICES_NAME.into(),
                id: Some(MICROSOFT_SERVICES_TENANT),
                domains: vec![],
                display_name: Some("Microsoft Services".into()),
            })
            .await?;
        let mut apps = Vec::new();
        for fp in first_party_apps(&self.config) {
            apps.push(
                self.ensure_application(&ApplicationSpec {
                    tenant_id: home.id,
                    name: fp.name.into(),
                    app_id: Some(fp.app_id),
                    identifier_uris: fp.identifier_uris,
                    app_roles: vec![],
                    access_token_accepted_version: fp.version,
                    multi_tenant: true,
                    app_role_assignment_required: false,
                })
                .await?,
            );
        }
        Ok(apps)
    }

    async fn ensure_tenant_record(
        &self,
        spec: &TenantSpec,
    ) -> Result<TenantRecord, AuthorityError> {
        let existing = self
            .store
            .tenants()
            .await?
            .into_iter()
            .find(|t| t.name.eq_ignore_ascii_case(&spec.name));
        let id = match (&existing, spec.id) {
            (Some(t), Some(id)) if t.id != id => {
                return Err(AuthorityError::InvalidDirectory(format!(
                    "tenant '{}' already exists with id {}, not {id}",
                    spec.name, t.id
                )));
            }
            (Some(t), _) => t.id,
            (None, Some(id)) => id,
            (None, None) => Uuid::new_v4(),
        };
        let mut domains = vec![format!(
            "{}.onmicrosoft.com",
            spec.name.to_ascii_lowercase()
        )];
        for d in &spec.domains {
            if !domains.iter().any(|x| x.eq_ignore_ascii_case(d)) {
                domains.push(d.to_ascii_lowercase());
            }
        }
        let record = TenantRecord {
            id,
            name: spec.name.clone(),
            domains,
            display_name: spec
                .display_name
                .clone()
                .unwrap_or_else(|| spec.name.clone()),
            created_at: existing
                .as_ref()
                .map_or(self.clock.now_unix(), |t| t.created_at),
        };
        if existing.as_ref() != Some(&record) {
            self.store.put_tenant(&record).await?;
        }
        Ok(record)
    }

    /// Creates or updates an application and its service principal in its home tenant.
    pub async fn ensure_application(
        &self,
        spec: &ApplicationSpec,
    ) -> Result<ApplicationRecord, AuthorityError> {
        if !matches!(spec.access_token_accepted_version, 1 | 2) {
            return Err(AuthorityError::InvalidDirectory(format!(
                "application '{}': access_token_accepted_version must be 1 or 2",
                spec.name
            )));
        }
        let existing = self
            .store
            .application_by_name(spec.tenant_id, &spec.name)
            .await?;
        let app_id = match (&existing, spec.app_id) {
            (Some(a), Some(id)) if a.app_id != id => {
                return Err(AuthorityError::InvalidDirectory(format!(
                    "application '{}' already exists with client id {}, not {id}",
                    spec.name, a.app_id
                )));
            }
            (Some(a), _) => a.app_id,
            (None, Some(id)) => id,
            (None, None) => Uuid::new_v4(),
        };
        if existing.is_none() && self.store.application(app_id).await?.is_some() {
            return Err(AuthorityError::InvalidDirectory(format!(
                "client id {app_id} of application '{}' is already used by another application",
                spec.name
            )));
        }
        let mut roles = Vec::new();
        for role in &spec.app_roles {
            if roles.iter().any(|r: &AppRoleRecord| r.value == role.value) {
                return Err(AuthorityError::InvalidDirectory(format!(
                    "application '{}' declares app role '{}' twice",
                    spec.name, role.value
                )));
            }
            let previous = existing
                .as_ref()
                .and_then(|a| a.app_roles.iter().find(|r| r.value == role.value));
            roles.push(AppRoleRecord {
                id: role
                    .id
                    .or(previous.map(|r| r.id))
                    .unwrap_or_else(Uuid::new_v4),
                value: role.value.clone(),
                display_name: role
                    .display_name
                    .clone()
                    .unwrap_or_else(|| role.value.clone()),
                description: role.description.clone(),
                allowed_member_types: if role.allowed_member_types.is_empty() {
                    vec!["Application".into()]
                } else {
                    role.allowed_member_types.clone()
                },
                is_enabled: true,
            });
        }
        let record = ApplicationRecord {
            app_id,
            object_id: existing.as_ref().map_or_else(Uuid::new_v4, |a| a.object_id),
            tenant_id: spec.tenant_id,
            name: spec.name.clone(),
            identifier_uris: spec.identifier_uris.clone(),
            app_roles: roles,
            access_token_accepted_version: spec.access_token_accepted_version,
            sign_in_audience: if spec.multi_tenant {
                "AzureADMultipleOrgs"
            } else {
                "AzureADMyOrg"
            }
            .into(),
            app_role_assignment_required: spec.app_role_assignment_required,
            created_at: existing
                .as_ref()
                .map_or(self.clock.now_unix(), |a| a.created_at),
        };
        if existing.as_ref() != Some(&record) {
            self.store.put_application(&record).await?;
        }
        self.ensure_service_principal(spec.tenant_id, &record)
            .await?;
        Ok(record)
    }

    /// Makes sure `app` has a service principal in `tenant_id`. Only multi-tenant applications
    /// can be provisioned outside their home tenant.
    pub async fn ensure_service_principal(
        &self,
        tenant_id: Uuid,
        app: &ApplicationRecord,
    ) -> Result<ServicePrincipalRecord, AuthorityError> {
        if let Some(sp) = self.store.service_principal(tenant_id, app.app_id).await? {
            return Ok(sp);
        }
        if tenant_id != app.tenant_id && app.sign_in_audience != "AzureADMultipleOrgs" {
            return Err(AuthorityError::InvalidDirectory(format!(
                "application '{}' is single-tenant; it cannot have a service principal outside its home tenant (set multi_tenant = true)",
                app.name
            )));
        }
        let sp = ServicePrincipalRecord {
            id: Uuid::new_v4(),
            tenant_id,
            app_id: app.app_id,
            display_name: app.name.clone(),
            kind: "Application".into(),
        };
        self.store.put_service_principal(&sp).await?;
        Ok(sp)
    }

    /// Sets the client secret `name` of an application to `value`; a changed value replaces
    /// the hash under the same key id.
    pub async fn ensure_client_secret(
        &self,
        app_id: Uuid,
        name: &str,
        value: &str,
        end: Option<i64>,
    ) -> Result<(), AuthorityError> {
        if value.chars().count() < 16 {
            return Err(AuthorityError::InvalidDirectory(format!(
                "client secret '{name}' is shorter than 16 characters"
            )));
        }
        let now = self.clock.now_unix();
        let existing = self.store.password_credentials(app_id).await?;
        let previous = existing.iter().find(|c| c.display_name == name);
        let end =
            end.unwrap_or_else(|| previous.map_or(now + DEFAULT_SECRET_DAYS * 86_400, |c| c.end));
        if let Some(c) = previous
            && hash_secret(&c.salt, value) == c.hash
            && c.end == end
        {
            return Ok(());
        }
        let salt = random_salt()?;
        let record = PasswordCredentialRecord {
            key_id: previous.map_or_else(Uuid::new_v4, |c| c.key_id),
            app_id,
            display_name: name.to_string(),
            hint: value.chars().take(3).collect(),
            hash: hash_secret(&salt, value),
            salt,
            start: previous.map_or(now - 60, |c| c.start),
            end,
        };
        self.store.put_password_credential(&record).await?;
        Ok(())
    }

    /// Registers the certificate `name` (its public part) on an application.
    pub async fn ensure_certificate_credential(
        &self,
        app_id: Uuid,
        name: &str,
        cert_der: &[u8],
    ) -> Result<KeyCredentialRecord, AuthorityError> {
        let info = skybridge_pki::parse_certificate(cert_der)
            .map_err(|e| AuthorityError::InvalidDirectory(format!("certificate '{name}': {e}")))?;
        skybridge_jose::VerifyingKey::from_spki_der(&info.spki_der)
            .map_err(|e| AuthorityError::InvalidDirectory(format!("certificate '{name}': {e}")))?;
        let existing = self.store.key_credentials(app_id).await?;
        let previous = existing.iter().find(|c| c.display_name == name);
        let record = KeyCredentialRecord {
            key_id: previous.map_or_else(Uuid::new_v4, |c| c.key_id),
            app_id,
            display_name: name.to_string(),
            cert_der: cert_der.to_vec(),
            sha1: info.sha1.to_vec(),
            sha256: info.sha256.to_vec(),
            start: info.not_before,
            end: info.not_after,
        };
        if previous != Some(&record) {
            self.store.put_key_credential(&record).await?;
        }
        Ok(record)
    }

    /// Sets the federated credential `name` of an application, with Entra's limits: at most
    /// 20 per application, exactly one audience, fields of at most 600 characters, a name of
    /// 3–120 URL-safe characters.
    pub async fn ensure_federated_credential(
        &self,
        app_id: Uuid,
        name: &str,
        issuer: &str,
        subject: &str,
        audiences: &[String],
    ) -> Result<(), AuthorityError> {
        use crate::federation::{MAX_FEDERATED_CREDENTIALS, MAX_FIELD_LEN};
        let bad = |m: String| {
            Err(AuthorityError::InvalidDirectory(format!(
                "federated credential '{name}': {m}"
            )))
        };
        let name_ok = (3..=120).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return bad("the name must be 3-120 characters of A-Z, a-z, 0-9, '-' and '_'".into());
        }
        if audiences.len() != 1 {
            return bad("exactly one audience is allowed".into());
        }
        for (field, value) in [
            ("issuer", issuer),
            ("subject", subject),
            ("audience", audiences[0].as_str()),
        ] {
            if value.is_empty() || value.len() > MAX_FIELD_LEN || value.trim() != value {
                return bad(format!(
                    "{field} must be 1-{MAX_FIELD_LEN} characters without surrounding spaces"
                ));
            }
        }
        let existing = self.store.federated_credentials(app_id).await?;
        let previous = existing.iter().find(|c| c.name == name);
        if previous.is_none() && existing.len() >= MAX_FEDERATED_CREDENTIALS {
            return bad(format!(
                "an application holds at most {MAX_FEDERATED_CREDENTIALS} federated credentials"
            ));
        }
        if existing
            .iter()
            .any(|c| c.name != name && c.issuer == issuer && c.subject == subject)
        {
            return bad(
                "another credential of this application has the same issuer and subject".into(),
            );
        }
        let record = FederatedCredentialRecord {
            id: previous.map_or_else(Uuid::new_v4, |c| c.id),
            app_id,
            name: name.into(),
            issuer: issuer.into(),
            subject: subject.into(),
            audiences: audiences.to_vec(),
        };
        if previous != Some(&record) {
            self.store.put_federated_credential(&record).await?;
        }
        Ok(())
    }

    /// Grants app role `role` of `resource` to `principal` in `tenant_id`, provisioning the
    /// principal's service principal there if it is a multi-tenant application.
    pub async fn ensure_app_role_assignment(
        &self,
        tenant_id: Uuid,
        principal: &ApplicationRecord,
        resource: &ApplicationRecord,
        role: &str,
    ) -> Result<AppRoleAssignmentRecord, AuthorityError> {
        let principal_sp = self.ensure_service_principal(tenant_id, principal).await?;
        self.grant_app_role(tenant_id, &principal_sp, resource, role)
            .await
    }

    /// Grants app role `role` of `resource` to a service principal (of an application or a
    /// managed identity) of `tenant_id`.
    pub async fn grant_app_role(
        &self,
        tenant_id: Uuid,
        principal_sp: &ServicePrincipalRecord,
        resource: &ApplicationRecord,
        role: &str,
    ) -> Result<AppRoleAssignmentRecord, AuthorityError> {
        let app_role = resource
            .app_roles
            .iter()
            .find(|r| r.value == role)
            .ok_or_else(|| {
                AuthorityError::InvalidDirectory(format!(
                    "application '{}' has no app role '{role}'",
                    resource.name
                ))
            })?;
        if !app_role
            .allowed_member_types
            .iter()
            .any(|t| t == "Application")
        {
            return Err(AuthorityError::InvalidDirectory(format!(
                "app role '{role}' of '{}' cannot be assigned to applications",
                resource.name
            )));
        }
        if principal_sp.tenant_id != tenant_id {
            return Err(AuthorityError::InvalidDirectory(format!(
                "principal '{}' lives in another tenant",
                principal_sp.display_name
            )));
        }
        let resource_sp = self
            .store
            .service_principal(tenant_id, resource.app_id)
            .await?
            .ok_or_else(|| {
                AuthorityError::InvalidDirectory(format!(
                    "application '{}' has no service principal in this tenant",
                    resource.name
                ))
            })?;
        Ok(self
            .store
            .put_app_role_assignment(&AppRoleAssignmentRecord {
                id: Uuid::new_v4(),
                tenant_id,
                principal_id: principal_sp.id,
                resource_id: resource_sp.id,
                app_role_id: app_role.id,
            })
            .await?)
    }

    /// Creates a current and a next signing key for a tenant that has none.
    pub async fn ensure_signing_keys(&self, tenant_id: Uuid) -> Result<(), AuthorityError> {
        if !self.store.signing_keys(tenant_id).await?.is_empty() {
            return Ok(());
        }
        let now = self.clock.now_unix();
        let keys = vec![
            new_signing_key(&self.root_key, tenant_id, SigningKeyStatus::Current, now)?,
            new_signing_key(&self.root_key, tenant_id, SigningKeyStatus::Next, now)?,
        ];
        self.store.replace_signing_keys(tenant_id, &keys).await?;
        self.keys.invalidate(tenant_id);
        Ok(())
    }

    /// Rolls a tenant's keys: next starts signing, current stays published as previous, the
    /// old previous leaves the JWKS (tokens it signed stop validating), a new next appears.
    pub async fn rotate_signing_keys(&self, tenant_id: Uuid) -> Result<(), AuthorityError> {
        let now = self.clock.now_unix();
        let records = self.store.signing_keys(tenant_id).await?;
        let mut rotated = Vec::new();
        for mut r in records {
            match r.status {
                SigningKeyStatus::Previous => continue,
                SigningKeyStatus::Current => r.status = SigningKeyStatus::Previous,
                SigningKeyStatus::Next => r.status = SigningKeyStatus::Current,
            }
            rotated.push(r);
        }
        if !rotated
            .iter()
            .any(|r| r.status == SigningKeyStatus::Current)
        {
            rotated.push(new_signing_key(
                &self.root_key,
                tenant_id,
                SigningKeyStatus::Current,
                now,
            )?);
        }
        rotated.push(new_signing_key(
            &self.root_key,
            tenant_id,
            SigningKeyStatus::Next,
            now,
        )?);
        self.store.replace_signing_keys(tenant_id, &rotated).await?;
        self.keys.invalidate(tenant_id);
        Ok(())
    }
}
