//! An in-memory [`WorkflowRunStore`] for tests, benchmarks and hosts without a database (it
//! uses no timers, so it works under tokio's paused clock, unlike a pooled database).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use skybridge_store::{
    StoreError, WorkflowActionRecord, WorkflowRunQuery, WorkflowRunRecord, WorkflowRunStore,
};

type RunKey = (String, String);

/// Run history in memory.
#[derive(Default)]
pub struct MemoryRunStore {
    runs: Mutex<BTreeMap<RunKey, (WorkflowRunRecord, Vec<WorkflowActionRecord>)>>,
    keys: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryRunStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

fn key(workflow: &str, run: &str) -> RunKey {
    (workflow.to_ascii_lowercase(), run.to_string())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[async_trait]
impl WorkflowRunStore for MemoryRunStore {
    async fn put_workflow_run(&self, run: &WorkflowRunRecord) -> Result<(), StoreError> {
        let mut runs = lock(&self.runs);
        let entry = runs
            .entry(key(&run.workflow, &run.run_id))
            .or_insert_with(|| (run.clone(), Vec::new()));
        entry.0 = run.clone();
        Ok(())
    }

    async fn put_workflow_run_with_actions(
        &self,
        run: &WorkflowRunRecord,
        actions: &[WorkflowActionRecord],
    ) -> Result<(), StoreError> {
        lock(&self.runs).insert(
            key(&run.workflow, &run.run_id),
            (run.clone(), actions.to_vec()),
        );
        Ok(())
    }

    async fn workflow_run(
        &self,
        workflow: &str,
        run_id: &str,
    ) -> Result<Option<WorkflowRunRecord>, StoreError> {
        Ok(lock(&self.runs)
            .get(&key(workflow, run_id))
            .map(|(r, _)| r.clone()))
    }

    async fn workflow_runs(
        &self,
        workflow: &str,
        query: &WorkflowRunQuery,
    ) -> Result<Vec<WorkflowRunRecord>, StoreError> {
        let wf = workflow.to_ascii_lowercase();
        Ok(lock(&self.runs)
            .iter()
            .filter(|((w, id), (r, _))| {
                *w == wf
                    && query
                        .status
                        .as_deref()
                        .is_none_or(|s| r.status.eq_ignore_ascii_case(s))
                    && query
                        .after_run_id
                        .as_deref()
                        .is_none_or(|after| id.as_str() > after)
            })
            .take(query.top.max(1))
            .map(|(_, (r, _))| r.clone())
            .collect())
    }

    async fn workflow_run_actions(
        &self,
        workflow: &str,
        run_id: &str,
    ) -> Result<Vec<WorkflowActionRecord>, StoreError> {
        Ok(lock(&self.runs)
            .get(&key(workflow, run_id))
            .map(|(_, a)| a.clone())
            .unwrap_or_default())
    }

    async fn workflow_access_key(&self, workflow: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(lock(&self.keys)
            .get(&workflow.to_ascii_lowercase())
            .cloned())
    }

    async fn put_workflow_access_key_if_absent(
        &self,
        workflow: &str,
        sealed_key: &[u8],
        _created_at: i64,
    ) -> Result<Vec<u8>, StoreError> {
        Ok(lock(&self.keys)
            .entry(workflow.to_ascii_lowercase())
            .or_insert_with(|| sealed_key.to_vec())
            .clone())
    }
}
