//! [`WorkflowRunStore`] on SQLite.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use crate::StoreError;
use crate::workflow::*;

fn run_from_row(row: &SqliteRow) -> Result<WorkflowRunRecord, StoreError> {
    Ok(WorkflowRunRecord {
        workflow: row.try_get("workflow")?,
        run_id: row.try_get("run_id")?,
        status: row.try_get("status")?,
        start_time: row.try_get("start_time")?,
        end_time: row.try_get("end_time")?,
        document: row.try_get("document")?,
    })
}

/// Rows per multi-row insert (9 parameters each, well under SQLite's limit).
const ACTION_ROWS_PER_INSERT: usize = 200;

const UPSERT_RUN: &str =
    "INSERT INTO workflow_runs (workflow, run_id, status, start_time, end_time, document)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (workflow, run_id) DO UPDATE SET status = excluded.status,
        start_time = excluded.start_time, end_time = excluded.end_time,
        document = excluded.document";

#[async_trait]
impl WorkflowRunStore for SqliteStore {
    async fn put_workflow_run(&self, r: &WorkflowRunRecord) -> Result<(), StoreError> {
        sqlx::query(UPSERT_RUN)
            .bind(&r.workflow)
            .bind(&r.run_id)
            .bind(&r.status)
            .bind(&r.start_time)
            .bind(&r.end_time)
            .bind(&r.document)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn put_workflow_run_with_actions(
        &self,
        r: &WorkflowRunRecord,
        actions: &[WorkflowActionRecord],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(UPSERT_RUN)
            .bind(&r.workflow)
            .bind(&r.run_id)
            .bind(&r.status)
            .bind(&r.start_time)
            .bind(&r.end_time)
            .bind(&r.document)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM workflow_run_actions WHERE workflow = $1 AND run_id = $2")
            .bind(&r.workflow)
            .bind(&r.run_id)
            .execute(&mut *tx)
            .await?;
        // Multi-row inserts: a 10,000-iteration loop writes its records in a hundred
        // statements rather than ten thousand.
        for chunk in actions.chunks(ACTION_ROWS_PER_INSERT) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO workflow_run_actions
                    (workflow, run_id, action, repetition, seq, status, start_time, end_time, document) ",
            );
            q.push_values(chunk, |mut b, a| {
                b.push_bind(r.workflow.clone())
                    .push_bind(r.run_id.clone())
                    .push_bind(a.action.clone())
                    .push_bind(a.repetition.clone())
                    .push_bind(a.seq)
                    .push_bind(a.status.clone())
                    .push_bind(a.start_time.clone())
                    .push_bind(a.end_time.clone())
                    .push_bind(a.document.clone());
            });
            q.push(
                " ON CONFLICT (workflow, run_id, action, repetition) DO UPDATE SET
                    seq = excluded.seq, status = excluded.status,
                    start_time = excluded.start_time, end_time = excluded.end_time,
                    document = excluded.document",
            );
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn workflow_run(
        &self,
        workflow: &str,
        run_id: &str,
    ) -> Result<Option<WorkflowRunRecord>, StoreError> {
        sqlx::query("SELECT * FROM workflow_runs WHERE workflow = $1 AND run_id = $2")
            .bind(workflow)
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(run_from_row)
            .transpose()
    }

    async fn workflow_runs(
        &self,
        workflow: &str,
        query: &WorkflowRunQuery,
    ) -> Result<Vec<WorkflowRunRecord>, StoreError> {
        let top = i64::try_from(query.top.clamp(1, 10_000)).unwrap_or(10_000);
        sqlx::query(
            "SELECT * FROM workflow_runs WHERE workflow = $1
               AND ($2 IS NULL OR status = $2 COLLATE NOCASE)
               AND ($3 IS NULL OR run_id > $3)
             ORDER BY run_id LIMIT $4",
        )
        .bind(workflow)
        .bind(&query.status)
        .bind(&query.after_run_id)
        .bind(top)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(run_from_row)
        .collect()
    }

    async fn workflow_run_actions(
        &self,
        workflow: &str,
        run_id: &str,
    ) -> Result<Vec<WorkflowActionRecord>, StoreError> {
        sqlx::query(
            "SELECT * FROM workflow_run_actions WHERE workflow = $1 AND run_id = $2 ORDER BY seq",
        )
        .bind(workflow)
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(WorkflowActionRecord {
                action: row.try_get("action")?,
                repetition: row.try_get("repetition")?,
                seq: row.try_get("seq")?,
                status: row.try_get("status")?,
                start_time: row.try_get("start_time")?,
                end_time: row.try_get("end_time")?,
                document: row.try_get("document")?,
            })
        })
        .collect()
    }

    async fn workflow_access_key(&self, workflow: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT sealed_key FROM workflow_access_keys WHERE workflow = $1")
            .bind(workflow)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => Some(row.try_get("sealed_key")?),
            None => None,
        })
    }

    async fn put_workflow_access_key_if_absent(
        &self,
        workflow: &str,
        sealed_key: &[u8],
        created_at: i64,
    ) -> Result<Vec<u8>, StoreError> {
        sqlx::query(
            "INSERT INTO workflow_access_keys (workflow, sealed_key, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (workflow) DO NOTHING",
        )
        .bind(workflow)
        .bind(sealed_key)
        .bind(created_at)
        .execute(&self.pool)
        .await?;
        self.workflow_access_key(workflow)
            .await?
            .ok_or_else(|| StoreError::Corrupt("workflow access key vanished".into()))
    }
}
