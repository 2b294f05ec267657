//! [`DirectoryStore`] on SQLite. The SQL uses `$n` placeholders so that it ports to PostgreSQL.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::SqliteStore;
use crate::StoreError;
use crate::directory::*;

fn uuid_col(row: &SqliteRow, col: &str) -> Result<Uuid, StoreError> {
    let text: String = row.try_get(col)?;
    Uuid::parse_str(&text).map_err(|_| StoreError::Corrupt(format!("{col} is not a UUID")))
}

fn json_col<T: serde::de::DeserializeOwned>(row: &SqliteRow, col: &str) -> Result<T, StoreError> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn tenant_row(row: &SqliteRow) -> Result<TenantRecord, StoreError> {
    Ok(TenantRecord {
        id: uuid_col(row, "id")?,
        name: row.try_get("name")?,
        domains: json_col(row, "domains")?,
        display_name: row.try_get("display_name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn application_row(row: &SqliteRow) -> Result<ApplicationRecord, StoreError> {
    let version: i64 = row.try_get("access_token_accepted_version")?;
    Ok(ApplicationRecord {
        app_id: uuid_col(row, "app_id")?,
        object_id: uuid_col(row, "object_id")?,
        tenant_id: uuid_col(row, "tenant_id")?,
        name: row.try_get("name")?,
        identifier_uris: json_col(row, "identifier_uris")?,
        app_roles: json_col(row, "app_roles")?,
        access_token_accepted_version: u8::try_from(version)
            .map_err(|_| StoreError::Corrupt("access_token_accepted_version".into()))?,
        sign_in_audience: row.try_get("sign_in_audience")?,
        app_role_assignment_required: row.try_get::<i64, _>("app_role_assignment_required")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

fn service_principal_row(row: &SqliteRow) -> Result<ServicePrincipalRecord, StoreError> {
    Ok(ServicePrincipalRecord {
        id: uuid_col(row, "id")?,
        tenant_id: uuid_col(row, "tenant_id")?,
        app_id: uuid_col(row, "app_id")?,
        display_name: row.try_get("display_name")?,
        kind: row.try_get("kind")?,
    })
}

fn assignment_row(row: &SqliteRow) -> Result<AppRoleAssignmentRecord, StoreError> {
    Ok(AppRoleAssignmentRecord {
        id: uuid_col(row, "id")?,
        tenant_id: uuid_col(row, "tenant_id")?,
        principal_id: uuid_col(row, "principal_id")?,
        resource_id: uuid_col(row, "resource_id")?,
        app_role_id: uuid_col(row, "app_role_id")?,
    })
}

/// `SELECT <application columns> <tail>` as a static string (sqlx refuses runtime-built SQL).
macro_rules! select_applications {
    ($tail:literal) => {
        concat!(
            "SELECT a.app_id, a.object_id, a.tenant_id, a.name, a.identifier_uris, a.app_roles, \
             a.access_token_accepted_version, a.sign_in_audience, \
             a.app_role_assignment_required, a.created_at ",
            $tail
        )
    };
}

#[async_trait]
impl DirectoryStore for SqliteStore {
    async fn put_tenant(&self, tenant: &TenantRecord) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO tenants (id, name, domains, display_name, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, domains = excluded.domains,
                display_name = excluded.display_name",
        )
        .bind(tenant.id.to_string())
        .bind(&tenant.name)
        .bind(to_json(&tenant.domains)?)
        .bind(&tenant.display_name)
        .bind(tenant.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM tenant_aliases WHERE tenant_id = $1")
            .bind(tenant.id.to_string())
            .execute(&mut *tx)
            .await?;
        for alias in std::iter::once(&tenant.name).chain(&tenant.domains) {
            sqlx::query(
                "INSERT INTO tenant_aliases (alias, tenant_id) VALUES ($1, $2)
                 ON CONFLICT (alias) DO UPDATE SET tenant_id = excluded.tenant_id",
            )
            .bind(alias.to_ascii_lowercase())
            .bind(tenant.id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn tenant(&self, id: Uuid) -> Result<Option<TenantRecord>, StoreError> {
        sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(tenant_row)
            .transpose()
    }

    async fn tenant_by_alias(&self, alias: &str) -> Result<Option<TenantRecord>, StoreError> {
        sqlx::query(
            "SELECT t.* FROM tenant_aliases x JOIN tenants t ON t.id = x.tenant_id
             WHERE x.alias = $1",
        )
        .bind(alias.to_ascii_lowercase())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(tenant_row)
        .transpose()
    }

    async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        sqlx::query("SELECT * FROM tenants ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(tenant_row)
            .collect()
    }

    async fn put_application(&self, app: &ApplicationRecord) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO applications (app_id, object_id, tenant_id, name, identifier_uris,
                app_roles, access_token_accepted_version, sign_in_audience,
                app_role_assignment_required, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (app_id) DO UPDATE SET name = excluded.name,
                identifier_uris = excluded.identifier_uris, app_roles = excluded.app_roles,
                access_token_accepted_version = excluded.access_token_accepted_version,
                sign_in_audience = excluded.sign_in_audience,
                app_role_assignment_required = excluded.app_role_assignment_required",
        )
        .bind(app.app_id.to_string())
        .bind(app.object_id.to_string())
        .bind(app.tenant_id.to_string())
        .bind(&app.name)
        .bind(to_json(&app.identifier_uris)?)
        .bind(to_json(&app.app_roles)?)
        .bind(i64::from(app.access_token_accepted_version))
        .bind(&app.sign_in_audience)
        .bind(i64::from(app.app_role_assignment_required))
        .bind(app.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM identifier_uris WHERE app_id = $1")
            .bind(app.app_id.to_string())
            .execute(&mut *tx)
            .await?;
        for uri in &app.identifier_uris {
            // Matched case-insensitively, as Entra matches resource identifiers.
            sqlx::query(
                "INSERT INTO identifier_uris (uri, app_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(uri.to_ascii_lowercase())
            .bind(app.app_id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn application(&self, app_id: Uuid) -> Result<Option<ApplicationRecord>, StoreError> {
        sqlx::query(select_applications!(
            "FROM applications a WHERE a.app_id = $1"
        ))
        .bind(app_id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(application_row)
        .transpose()
    }

    async fn application_by_name(
        &self,
        tenant_id: Uuid,
        name: &str,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        sqlx::query(select_applications!(
            "FROM applications a WHERE a.tenant_id = $1 AND a.name = $2"
        ))
        .bind(tenant_id.to_string())
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(application_row)
        .transpose()
    }

    async fn applications_by_identifier_uri(
        &self,
        uri: &str,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        sqlx::query(select_applications!(
            "FROM identifier_uris u JOIN applications a ON a.app_id = u.app_id
             WHERE u.uri = $1"
        ))
        .bind(uri.to_ascii_lowercase())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(application_row)
        .collect()
    }

    async fn applications(&self) -> Result<Vec<ApplicationRecord>, StoreError> {
        sqlx::query(select_applications!(
            "FROM applications a ORDER BY a.tenant_id, a.name"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(application_row)
        .collect()
    }

    async fn put_service_principal(&self, sp: &ServicePrincipalRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO service_principals (id, tenant_id, app_id, display_name, kind)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,
                kind = excluded.kind",
        )
        .bind(sp.id.to_string())
        .bind(sp.tenant_id.to_string())
        .bind(sp.app_id.to_string())
        .bind(&sp.display_name)
        .bind(&sp.kind)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn service_principal(
        &self,
        tenant_id: Uuid,
        app_id: Uuid,
    ) -> Result<Option<ServicePrincipalRecord>, StoreError> {
        sqlx::query("SELECT * FROM service_principals WHERE tenant_id = $1 AND app_id = $2")
            .bind(tenant_id.to_string())
            .bind(app_id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(service_principal_row)
            .transpose()
    }

    async fn put_password_credential(
        &self,
        c: &PasswordCredentialRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO password_credentials
                (key_id, app_id, display_name, hint, salt, hash, start_at, end_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (key_id) DO UPDATE SET display_name = excluded.display_name,
                hint = excluded.hint, salt = excluded.salt, hash = excluded.hash,
                start_at = excluded.start_at, end_at = excluded.end_at",
        )
        .bind(c.key_id.to_string())
        .bind(c.app_id.to_string())
        .bind(&c.display_name)
        .bind(&c.hint)
        .bind(&c.salt)
        .bind(&c.hash)
        .bind(c.start)
        .bind(c.end)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn password_credentials(
        &self,
        app_id: Uuid,
    ) -> Result<Vec<PasswordCredentialRecord>, StoreError> {
        sqlx::query("SELECT * FROM password_credentials WHERE app_id = $1 ORDER BY display_name")
            .bind(app_id.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(PasswordCredentialRecord {
                    key_id: uuid_col(row, "key_id")?,
                    app_id: uuid_col(row, "app_id")?,
                    display_name: row.try_get("display_name")?,
                    hint: row.try_get("hint")?,
                    salt: row.try_get("salt")?,
                    hash: row.try_get("hash")?,
                    start: row.try_get("start_at")?,
                    end: row.try_get("end_at")?,
                })
            })
            .collect()
    }

    async fn put_key_credential(&self, c: &KeyCredentialRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO key_credentials
                (key_id, app_id, display_name, cert_der, sha1, sha256, start_at, end_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (key_id) DO UPDATE SET display_name = excluded.display_name,
                cert_der = excluded.cert_der, sha1 = excluded.sha1, sha256 = excluded.sha256,
                start_at = excluded.start_at, end_at = excluded.end_at",
        )
        .bind(c.key_id.to_string())
        .bind(c.app_id.to_string())
        .bind(&c.display_name)
        .bind(&c.cert_der)
        .bind(&c.sha1)
        .bind(&c.sha256)
        .bind(c.start)
        .bind(c.end)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn key_credentials(&self, app_id: Uuid) -> Result<Vec<KeyCredentialRecord>, StoreError> {
        sqlx::query("SELECT * FROM key_credentials WHERE app_id = $1 ORDER BY display_name")
            .bind(app_id.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(KeyCredentialRecord {
                    key_id: uuid_col(row, "key_id")?,
                    app_id: uuid_col(row, "app_id")?,
                    display_name: row.try_get("display_name")?,
                    cert_der: row.try_get("cert_der")?,
                    sha1: row.try_get("sha1")?,
                    sha256: row.try_get("sha256")?,
                    start: row.try_get("start_at")?,
                    end: row.try_get("end_at")?,
                })
            })
            .collect()
    }

    async fn put_federated_credential(
        &self,
        c: &FederatedCredentialRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO federated_credentials (id, app_id, name, issuer, subject, audiences)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (app_id, name) DO UPDATE SET issuer = excluded.issuer,
                subject = excluded.subject, audiences = excluded.audiences",
        )
        .bind(c.id.to_string())
        .bind(c.app_id.to_string())
        .bind(&c.name)
        .bind(&c.issuer)
        .bind(&c.subject)
        .bind(to_json(&c.audiences)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn federated_credentials(
        &self,
        app_id: Uuid,
    ) -> Result<Vec<FederatedCredentialRecord>, StoreError> {
        sqlx::query("SELECT * FROM federated_credentials WHERE app_id = $1 ORDER BY name")
            .bind(app_id.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(FederatedCredentialRecord {
                    id: uuid_col(row, "id")?,
                    app_id: uuid_col(row, "app_id")?,
                    name: row.try_get("name")?,
                    issuer: row.try_get("issuer")?,
                    subject: row.try_get("subject")?,
                    audiences: json_col(row, "audiences")?,
                })
            })
            .collect()
    }

    async fn put_app_role_assignment(
        &self,
        a: &AppRoleAssignmentRecord,
    ) -> Result<AppRoleAssignmentRecord, StoreError> {
        sqlx::query(
            "INSERT INTO app_role_assignments
                (id, tenant_id, principal_id, resource_id, app_role_id)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (principal_id, resource_id, app_role_id) DO NOTHING",
        )
        .bind(a.id.to_string())
        .bind(a.tenant_id.to_string())
        .bind(a.principal_id.to_string())
        .bind(a.resource_id.to_string())
        .bind(a.app_role_id.to_string())
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT * FROM app_role_assignments
             WHERE principal_id = $1 AND resource_id = $2 AND app_role_id = $3",
        )
        .bind(a.principal_id.to_string())
        .bind(a.resource_id.to_string())
        .bind(a.app_role_id.to_string())
        .fetch_one(&self.pool)
        .await?;
        assignment_row(&row)
    }

    async fn app_role_assignments(
        &self,
        principal_id: Uuid,
        resource_id: Uuid,
    ) -> Result<Vec<AppRoleAssignmentRecord>, StoreError> {
        sqlx::query(
            "SELECT * FROM app_role_assignments WHERE principal_id = $1 AND resource_id = $2",
        )
        .bind(principal_id.to_string())
        .bind(resource_id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(assignment_row)
        .collect()
    }

    async fn signing_keys(&self, tenant_id: Uuid) -> Result<Vec<SigningKeyRecord>, StoreError> {
        sqlx::query("SELECT * FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at, kid")
            .bind(tenant_id.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(SigningKeyRecord {
                    tenant_id: uuid_col(row, "tenant_id")?,
                    kid: row.try_get("kid")?,
                    status: SigningKeyStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("key status {status}")))?,
                    sealed_private_key: row.try_get("sealed_private_key")?,
                    cert_der: row.try_get("cert_der")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn replace_signing_keys(
        &self,
        tenant_id: Uuid,
        keys: &[SigningKeyRecord],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM signing_keys WHERE tenant_id = $1")
            .bind(tenant_id.to_string())
            .execute(&mut *tx)
            .await?;
        for k in keys {
            sqlx::query(
                "INSERT INTO signing_keys
                    (tenant_id, kid, status, sealed_private_key, cert_der, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant_id.to_string())
            .bind(&k.kid)
            .bind(k.status.as_str())
            .bind(&k.sealed_private_key)
            .bind(&k.cert_der)
            .bind(k.created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn remember_assertion(
        &self,
        tenant_id: Uuid,
        client_id: Uuid,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM seen_assertions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO seen_assertions (tenant_id, client_id, jti, expires_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(tenant_id.to_string())
        .bind(client_id.to_string())
        .bind(jti)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(inserted == 1)
    }
}
