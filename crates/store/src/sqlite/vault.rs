//! [`VaultStore`] on SQLite. Versions are ordered by an autoincrement sequence, so concurrent
//! writers each add a row and "latest" is well defined without read-modify-write. Writing
//! transactions start with `BEGIN IMMEDIATE`: a deferred one that reads first cannot upgrade to a
//! write while another writer commits (SQLITE_BUSY_SNAPSHOT), and busy_timeout does not help.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::SqliteStore;
use crate::StoreError;
use crate::vault::*;

fn uuid_col(row: &SqliteRow, col: &str) -> Result<Uuid, StoreError> {
    let text: String = row.try_get(col)?;
    Uuid::parse_str(&text).map_err(|_| StoreError::Corrupt(format!("{col} is not a UUID")))
}

fn vault_row(row: &SqliteRow) -> Result<VaultRecord, StoreError> {
    Ok(VaultRecord {
        name: row.try_get("name")?,
        tenant_id: uuid_col(row, "tenant_id")?,
        retention_days: row.try_get("retention_days")?,
        purge_protection: row.try_get::<i64, _>("purge_protection")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

fn object_row(row: &SqliteRow) -> Result<VaultObjectRecord, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(VaultObjectRecord {
        vault: row.try_get("vault")?,
        kind: VaultObjectKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("object kind {kind:?}")))?,
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        meta: row.try_get("meta")?,
        wrapped_key: row.try_get("wrapped_key")?,
        sealed: row.try_get("sealed")?,
    })
}

fn deleted_row(row: &SqliteRow) -> Result<DeletedObjectRecord, StoreError> {
    Ok(DeletedObjectRecord {
        deleted_at: row.try_get("deleted_at")?,
        purge_at: row.try_get("purge_at")?,
        latest: object_row(row)?,
    })
}

/// Object columns of `o` plus the latest-version condition, as a static string.
macro_rules! latest {
    ($select:literal, $tail:literal) => {
        concat!(
            "SELECT o.vault, o.kind, o.name, o.version, o.created_at, o.updated_at, o.meta, \
             o.wrapped_key, o.sealed ",
            $select,
            " FROM vault_objects o ",
            $tail
        )
    };
}

#[async_trait]
impl VaultStore for SqliteStore {
    async fn put_vault(&self, vault: &VaultRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO vaults (name, tenant_id, retention_days, purge_protection, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO UPDATE SET tenant_id = excluded.tenant_id,
                retention_days = excluded.retention_days,
                purge_protection = excluded.purge_protection",
        )
        .bind(&vault.name)
        .bind(vault.tenant_id.to_string())
        .bind(vault.retention_days)
        .bind(i64::from(vault.purge_protection))
        .bind(vault.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn vault(&self, name: &str) -> Result<Option<VaultRecord>, StoreError> {
        sqlx::query("SELECT * FROM vaults WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(vault_row)
            .transpose()
    }

    async fn vaults(&self) -> Result<Vec<VaultRecord>, StoreError> {
        sqlx::query("SELECT * FROM vaults ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(vault_row)
            .collect()
    }

    async fn replace_vault_role_assignments(
        &self,
        vault: &str,
        assignments: &[VaultRoleAssignmentRecord],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM vault_role_assignments WHERE vault = $1")
            .bind(vault)
            .execute(&mut *tx)
            .await?;
        for a in assignments {
            sqlx::query(
                "INSERT INTO vault_role_assignments (vault, principal_id, role_id, scope)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(vault)
            .bind(a.principal_id.to_string())
            .bind(a.role_id.to_string())
            .bind(&a.scope)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn vault_role_assignments(
        &self,
        vault: &str,
        principal_id: Uuid,
    ) -> Result<Vec<VaultRoleAssignmentRecord>, StoreError> {
        sqlx::query(
            "SELECT vault, principal_id, role_id, scope FROM vault_role_assignments
             WHERE vault = $1 AND principal_id = $2 ORDER BY role_id, scope",
        )
        .bind(vault)
        .bind(principal_id.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(VaultRoleAssignmentRecord {
                vault: row.try_get("vault")?,
                principal_id: uuid_col(row, "principal_id")?,
                role_id: uuid_col(row, "role_id")?,
                scope: row.try_get("scope")?,
            })
        })
        .collect()
    }

    async fn insert_object_versions(
        &self,
        records: &[VaultObjectRecord],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for r in records {
            let blocked = sqlx::query(
                "SELECT 1 FROM vault_deleted WHERE vault = $1 AND kind = $2 AND name = $3
                 UNION ALL
                 SELECT 1 FROM vault_objects
                 WHERE vault = $1 AND kind = $2 AND name = $3 AND version = $4",
            )
            .bind(&r.vault)
            .bind(r.kind.as_str())
            .bind(&r.name)
            .bind(&r.version)
            .fetch_optional(&mut *tx)
            .await?;
            if blocked.is_some() {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO vault_objects (vault, kind, name, version, created_at, updated_at,
                    meta, wrapped_key, sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&r.vault)
            .bind(r.kind.as_str())
            .bind(&r.name)
            .bind(&r.version)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(&r.meta)
            .bind(&r.wrapped_key)
            .bind(&r.sealed)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn update_object_version(&self, r: &VaultObjectRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE vault_objects SET meta = $5, updated_at = $6
             WHERE vault = $1 AND kind = $2 AND name = $3 AND version = $4
               AND NOT EXISTS (SELECT 1 FROM vault_deleted d
                   WHERE d.vault = $1 AND d.kind = $2 AND d.name = $3)",
        )
        .bind(&r.vault)
        .bind(r.kind.as_str())
        .bind(&r.name)
        .bind(&r.version)
        .bind(&r.meta)
        .bind(r.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn object_version(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
        version: &str,
    ) -> Result<Option<VaultObjectRecord>, StoreError> {
        sqlx::query(latest!(
            "",
            "WHERE o.vault = $1 AND o.kind = $2 AND o.name = $3 AND o.version = $4 AND \
             NOT EXISTS (SELECT 1 FROM vault_deleted d \
             WHERE d.vault = o.vault AND d.kind = o.kind AND d.name = o.name)"
        ))
        .bind(vault)
        .bind(kind.as_str())
        .bind(name)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(object_row)
        .transpose()
    }

    async fn latest_object_version(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Option<VaultObjectRecord>, StoreError> {
        sqlx::query(latest!(
            "",
            "WHERE o.vault = $1 AND o.kind = $2 AND o.name = $3 AND \
             NOT EXISTS (SELECT 1 FROM vault_deleted d \
             WHERE d.vault = o.vault AND d.kind = o.kind AND d.name = o.name) \
             ORDER BY o.seq DESC LIMIT 1"
        ))
        .bind(vault)
        .bind(kind.as_str())
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(object_row)
        .transpose()
    }

    async fn object_versions(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Vec<VaultObjectRecord>, StoreError> {
        sqlx::query(latest!(
            "",
            "WHERE o.vault = $1 AND o.kind = $2 AND o.name = $3 AND \
             NOT EXISTS (SELECT 1 FROM vault_deleted d \
             WHERE d.vault = o.vault AND d.kind = o.kind AND d.name = o.name) \
             ORDER BY o.seq"
        ))
        .bind(vault)
        .bind(kind.as_str())
        .bind(name)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(object_row)
        .collect()
    }

    async fn latest_objects(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<VaultObjectRecord>, StoreError> {
        sqlx::query(latest!(
            "",
            "WHERE o.vault = $1 AND o.kind = $2 AND o.seq = (SELECT MAX(w.seq) \
             FROM vault_objects w WHERE w.vault = o.vault AND w.kind = o.kind \
             AND w.name = o.name) AND \
             NOT EXISTS (SELECT 1 FROM vault_deleted d \
             WHERE d.vault = o.vault AND d.kind = o.kind AND d.name = o.name) \
             ORDER BY o.name LIMIT $3 OFFSET $4"
        ))
        .bind(vault)
        .bind(kind.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(object_row)
        .collect()
    }

    async fn delete_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
        deleted_at: i64,
        purge_at: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (i, kind) in kinds.iter().enumerate() {
            let done = sqlx::query(
                "INSERT INTO vault_deleted (vault, kind, name, deleted_at, purge_at)
                 SELECT $1, $2, $3, $4, $5
                 WHERE EXISTS (SELECT 1 FROM vault_objects
                     WHERE vault = $1 AND kind = $2 AND name = $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(vault)
            .bind(kind.as_str())
            .bind(name)
            .bind(deleted_at)
            .bind(purge_at)
            .execute(&mut *tx)
            .await?;
            if i == 0 && done.rows_affected() == 0 {
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn deleted_object(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Option<DeletedObjectRecord>, StoreError> {
        sqlx::query(latest!(
            ", d.deleted_at, d.purge_at",
            "JOIN vault_deleted d ON d.vault = o.vault AND d.kind = o.kind AND d.name = o.name
             WHERE o.vault = $1 AND o.kind = $2 AND o.name = $3 ORDER BY o.seq DESC LIMIT 1"
        ))
        .bind(vault)
        .bind(kind.as_str())
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(deleted_row)
        .transpose()
    }

    async fn deleted_objects(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<DeletedObjectRecord>, StoreError> {
        sqlx::query(latest!(
            ", d.deleted_at, d.purge_at",
            "JOIN vault_deleted d ON d.vault = o.vault AND d.kind = o.kind AND d.name = o.name
             WHERE o.vault = $1 AND o.kind = $2 AND o.seq = (SELECT MAX(w.seq)
                 FROM vault_objects w WHERE w.vault = o.vault AND w.kind = o.kind
                 AND w.name = o.name)
             ORDER BY o.name LIMIT $3 OFFSET $4"
        ))
        .bind(vault)
        .bind(kind.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(deleted_row)
        .collect()
    }

    async fn recover_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (i, kind) in kinds.iter().enumerate() {
            let found = take_deleted(&mut tx, vault, *kind, name).await?;
            if i == 0 && !found {
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn purge_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (i, kind) in kinds.iter().enumerate() {
            if !take_deleted(&mut tx, vault, *kind, name).await? {
                if i == 0 {
                    return Ok(false);
                }
                continue;
            }
            sqlx::query("DELETE FROM vault_objects WHERE vault = $1 AND kind = $2 AND name = $3")
                .bind(vault)
                .bind(kind.as_str())
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn purge_expired_objects(&self, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "DELETE FROM vault_objects WHERE EXISTS (SELECT 1 FROM vault_deleted d
                WHERE d.vault = vault_objects.vault AND d.kind = vault_objects.kind
                  AND d.name = vault_objects.name AND d.purge_at <= $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM vault_deleted WHERE purge_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn put_vault_setting(&self, record: &VaultSettingRecord) -> Result<(), StoreError> {
        self.put_setting(record).await
    }

    async fn vault_setting(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        name: &str,
    ) -> Result<Option<VaultSettingRecord>, StoreError> {
        self.setting(vault, kind, name).await
    }

    async fn vault_settings(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<VaultSettingRecord>, StoreError> {
        self.settings(vault, kind, offset, limit).await
    }

    async fn delete_vault_setting(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        name: &str,
    ) -> Result<bool, StoreError> {
        self.delete_setting(vault, kind, name).await
    }
}

/// Removes the soft-delete marker of one kind of a name; false when there was none.
async fn take_deleted(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    vault: &str,
    kind: VaultObjectKind,
    name: &str,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("DELETE FROM vault_deleted WHERE vault = $1 AND kind = $2 AND name = $3")
            .bind(vault)
            .bind(kind.as_str())
            .bind(name)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() > 0)
}
