//! [`ManagedIdentityStore`] on SQLite.

use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use super::SqliteStore;
use crate::StoreError;
use crate::identity::*;

fn uuid_text(text: &str, col: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(format!("{col} is not a UUID")))
}

#[async_trait]
impl ManagedIdentityStore for SqliteStore {
    async fn put_managed_identity(&self, m: &ManagedIdentityRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO managed_identities (client_id, principal_id, tenant_id, name, kind, resource_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (client_id) DO UPDATE SET name = excluded.name,
                resource_id = excluded.resource_id",
        )
        .bind(m.client_id.to_string())
        .bind(m.principal_id.to_string())
        .bind(m.tenant_id.to_string())
        .bind(&m.name)
        .bind(m.kind.as_str())
        .bind(&m.resource_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn managed_identities(&self) -> Result<Vec<ManagedIdentityRecord>, StoreError> {
        sqlx::query("SELECT * FROM managed_identities ORDER BY kind, name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(ManagedIdentityRecord {
                    client_id: uuid_text(&row.try_get::<String, _>("client_id")?, "client_id")?,
                    principal_id: uuid_text(
                        &row.try_get::<String, _>("principal_id")?,
                        "principal_id",
                    )?,
                    tenant_id: uuid_text(&row.try_get::<String, _>("tenant_id")?, "tenant_id")?,
                    name: row.try_get("name")?,
                    kind: IdentityKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("identity kind {kind}")))?,
                    resource_id: row.try_get("resource_id")?,
                })
            })
            .collect()
    }

    async fn put_identity_resource(&self, r: &IdentityResourceRecord) -> Result<(), StoreError> {
        let users: Vec<String> = r.user_identities.iter().map(Uuid::to_string).collect();
        sqlx::query(
            "INSERT INTO identity_resources
                (name, tenant_id, kind, resource_id, sealed_identity_header, system_identity, user_identities)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind,
                resource_id = excluded.resource_id,
                sealed_identity_header = excluded.sealed_identity_header,
                system_identity = excluded.system_identity,
                user_identities = excluded.user_identities",
        )
        .bind(&r.name)
        .bind(r.tenant_id.to_string())
        .bind(&r.kind)
        .bind(&r.resource_id)
        .bind(&r.sealed_identity_header)
        .bind(r.system_identity.map(|u| u.to_string()))
        .bind(serde_json::to_string(&users).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn identity_resources(&self) -> Result<Vec<IdentityResourceRecord>, StoreError> {
        sqlx::query("SELECT * FROM identity_resources ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let system: Option<String> = row.try_get("system_identity")?;
                let users_text: String = row.try_get("user_identities")?;
                let users: Vec<String> = serde_json::from_str(&users_text)
                    .map_err(|e| StoreError::Corrupt(format!("user_identities: {e}")))?;
                Ok(IdentityResourceRecord {
                    name: row.try_get("name")?,
                    tenant_id: uuid_text(&row.try_get::<String, _>("tenant_id")?, "tenant_id")?,
                    kind: row.try_get("kind")?,
                    resource_id: row.try_get("resource_id")?,
                    sealed_identity_header: row.try_get("sealed_identity_header")?,
                    system_identity: system
                        .map(|s| uuid_text(&s, "system_identity"))
                        .transpose()?,
                    user_identities: users
                        .iter()
                        .map(|u| uuid_text(u, "user_identities"))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect()
    }

    async fn delete_identity_resource(&self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let system: Option<Option<String>> =
            sqlx::query("SELECT system_identity FROM identity_resources WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get("system_identity"))
                .transpose()?;
        if let Some(Some(client_id)) = system {
            sqlx::query("DELETE FROM service_principals WHERE app_id = $1")
                .bind(&client_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM managed_identities WHERE client_id = $1")
                .bind(&client_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM identity_resources WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
