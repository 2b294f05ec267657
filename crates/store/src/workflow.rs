//! Workflow run history: one record per run and one per action execution (per loop repetition),
//! plus the per-workflow key that signs callback URLs. The engine's JSON travels as opaque
//! `document` text; the store indexes only what listing needs (status, times, names).

use async_trait::async_trait;

use crate::StoreError;

/// A workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRunRecord {
    /// Workflow name (compared case-insensitively).
    pub workflow: String,
    /// Run id (reverse ticks: newer runs sort first).
    pub run_id: String,
    /// `Running`, `Succeeded`, `Failed`, `Cancelled`, `TimedOut`, ...
    pub status: String,
    /// RFC 3339, UTC.
    pub start_time: String,
    /// RFC 3339, UTC; absent while running.
    pub end_time: Option<String>,
    /// The engine's JSON for the run.
    pub document: String,
}

/// One execution of an action (one per repetition inside loops).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowActionRecord {
    /// Action name.
    pub action: String,
    /// `""` outside loops, else the repetition name (`000003`, `000001-000002`).
    pub repetition: String,
    /// Order of completion within the run.
    pub seq: i64,
    /// `Succeeded`, `Failed`, `Skipped`, `TimedOut`, `Cancelled`, ...
    pub status: String,
    /// RFC 3339, UTC.
    pub start_time: Option<String>,
    /// RFC 3339, UTC.
    pub end_time: Option<String>,
    /// The engine's JSON for the execution.
    pub document: String,
}

/// Which runs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowRunQuery {
    /// Only runs with this status (case-insensitive).
    pub status: Option<String>,
    /// Only runs whose id sorts after this one (older runs): paging.
    pub after_run_id: Option<String>,
    /// At most this many (newest first).
    pub top: usize,
}

/// Storage for workflow run history.
#[async_trait]
pub trait WorkflowRunStore: Send + Sync {
    /// Inserts or replaces a run record.
    async fn put_workflow_run(&self, run: &WorkflowRunRecord) -> Result<(), StoreError>;
    /// Inserts or replaces a run and its action records in one transaction (existing action
    /// records of the run are replaced).
    async fn put_workflow_run_with_actions(
        &self,
        run: &WorkflowRunRecord,
        actions: &[WorkflowActionRecord],
    ) -> Result<(), StoreError>;
    /// One run.
    async fn workflow_run(
        &self,
        workflow: &str,
        run_id: &str,
    ) -> Result<Option<WorkflowRunRecord>, StoreError>;
    /// Runs of a workflow, newest first.
    async fn workflow_runs(
        &self,
        workflow: &str,
        query: &WorkflowRunQuery,
    ) -> Result<Vec<WorkflowRunRecord>, StoreError>;
    /// The action records of a run, in completion order.
    async fn workflow_run_actions(
        &self,
        workflow: &str,
        run_id: &str,
    ) -> Result<Vec<WorkflowActionRecord>, StoreError>;
    /// The sealed callback-signing key of a workflow.
    async fn workflow_access_key(&self, workflow: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores the sealed key unless one exists; returns the key in force (the stored one when
    /// another process won the race).
    async fn put_workflow_access_key_if_absent(
        &self,
        workflow: &str,
        sealed_key: &[u8],
        created_at: i64,
    ) -> Result<Vec<u8>, StoreError>;
}
