//! The embedded store: one SQLite file in the data directory (WAL mode), or memory for tests.

mod directory;
mod identity;
mod vault;
mod vault_settings;
mod workflow;

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Executor, Row};

use crate::StoreError;

/// Migrations in order; each runs once, in its own transaction, recorded in `schema_migrations`.
/// The PostgreSQL store keeps the same numbering.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../migrations/sqlite/0001_directory.sql"),
    ),
    (2, include_str!("../../migrations/sqlite/0002_vault.sql")),
    (3, include_str!("../../migrations/sqlite/0003_workflow.sql")),
    (
        4,
        include_str!("../../migrations/sqlite/0004_vault_settings.sql"),
    ),
];

/// SQLite-backed implementation of every store trait.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Self::with_pool(pool).await
    }

    /// A private in-memory database (one connection, so every query sees the same data).
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::with_pool(pool).await
    }

    async fn with_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// The schema version this build migrates to.
    pub fn latest_schema_version() -> i64 {
        MIGRATIONS.last().map_or(0, |(v, _)| *v)
    }

    /// The schema version this database is at.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("v")?)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
            )
            .await?;
        let current = self.schema_version().await?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let mut tx = self.pool.begin().await?;
            tx.execute(*sql).await?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, applied_at)
                 VALUES ($1, CAST(strftime('%s','now') AS INTEGER))",
            )
            .bind(version)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }
}
