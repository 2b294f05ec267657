//! The vault-wide settings (certificate issuers and contacts) on SQLite; [`super::vault`]'s
//! `VaultStore` implementation delegates here to keep each file readable.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use crate::StoreError;
use crate::vault::{VaultSettingKind, VaultSettingRecord};

fn setting_row(row: &SqliteRow, kind: VaultSettingKind) -> Result<VaultSettingRecord, StoreError> {
    Ok(VaultSettingRecord {
        vault: row.try_get("vault")?,
        kind,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        meta: row.try_get("meta")?,
        wrapped_key: row.try_get("wrapped_key")?,
        sealed: row.try_get("sealed")?,
    })
}

/// The setting columns followed by `$tail`, as a static string.
macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT vault, name, created_at, updated_at, meta, wrapped_key, sealed \
             FROM vault_settings ",
            $tail
        )
    };
}

impl SqliteStore {
    pub(super) async fn put_setting(&self, r: &VaultSettingRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO vault_settings (vault, kind, name, created_at, updated_at, meta,
                wrapped_key, sealed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (vault, kind, name) DO UPDATE SET updated_at = excluded.updated_at,
                meta = excluded.meta, wrapped_key = excluded.wrapped_key,
                sealed = excluded.sealed",
        )
        .bind(&r.vault)
        .bind(r.kind.as_str())
        .bind(&r.name)
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(&r.meta)
        .bind(&r.wrapped_key)
        .bind(&r.sealed)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn setting(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        name: &str,
    ) -> Result<Option<VaultSettingRecord>, StoreError> {
        sqlx::query(select!("WHERE vault = $1 AND kind = $2 AND name = $3"))
            .bind(vault)
            .bind(kind.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|row| setting_row(row, kind))
            .transpose()
    }

    pub(super) async fn settings(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<VaultSettingRecord>, StoreError> {
        sqlx::query(select!(
            "WHERE vault = $1 AND kind = $2 ORDER BY name LIMIT $3 OFFSET $4"
        ))
        .bind(vault)
        .bind(kind.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| setting_row(row, kind))
        .collect()
    }

    pub(super) async fn delete_setting(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        name: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM vault_settings WHERE vault = $1 AND kind = $2 AND name = $3")
                .bind(vault)
                .bind(kind.as_str())
                .bind(name)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }
}
