//! The engine: registered workflows, run start-up and completion, live runs, persistence, and
//! the recurrence scheduler.

pub(crate) mod actions;
mod config;
mod lifecycle;
pub mod outbound;
pub(crate) mod outcome;
pub mod recurrence;
pub(crate) mod run;
pub(crate) mod scheduler;
pub(crate) mod variables;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::UNIX_EPOCH;

use serde_json::Value;
use skybridge_store::{WorkflowRunQuery, WorkflowRunStore};
use tokio::sync::watch;

pub use config::{EngineConfig, RunHandle, RunLimits, TriggerRequest};
pub use outbound::{
    AppliedAuth, AuthContext, Authenticated, AuthenticationFailure, AuthenticationStep,
    HttpAuthenticator, HttpTransport, NoExtraAuthentication, OutboundRequest, OutboundResponse,
    ReqwestTransport,
};
pub use run::ResponseMessage;

use crate::definition::{TriggerKind, Workflow, WorkflowKind};
use crate::error::WorkflowError;
use crate::history::{RunSummary, StoredAction, StoredRun};
use crate::status::Status;
use crate::time::EngineClock;
use lifecycle::{live_key, live_snapshot};
use run::{RunState, lock};

pub(crate) struct EngineInner {
    pub config: EngineConfig,
    pub clock: Arc<dyn EngineClock>,
    pub(crate) store: Option<Arc<dyn WorkflowRunStore>>,
    workflows: RwLock<HashMap<String, Arc<Workflow>>>,
    pub(crate) live: Mutex<HashMap<String, Arc<RunState>>>,
    pub transport: Arc<dyn HttpTransport>,
    pub authenticator: Arc<dyn HttpAuthenticator>,
    pub(crate) counter: AtomicU64,
    keys: RwLock<HashMap<String, Vec<u8>>>,
}

/// The workflow engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Engine {
    /// An engine with `store` for run history (None keeps no history at all).
    pub fn new(
        config: EngineConfig,
        clock: Arc<dyn EngineClock>,
        store: Option<Arc<dyn WorkflowRunStore>>,
    ) -> Result<Self, WorkflowError> {
        let mut builder =
            skybridge_net::client_builder(&config.extra_roots, config.http_timeout)
                .map_err(|e| WorkflowError::Store(format!("building the HTTP client: {e}")))?;
        for (host, addr) in &config.resolve {
            builder = builder.resolve(host, *addr);
        }
        let http = builder
            .build()
            .map_err(|e| WorkflowError::Store(format!("building the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(EngineInner {
                config,
                clock,
                store,
                workflows: RwLock::new(HashMap::new()),
                live: Mutex::new(HashMap::new()),
                transport: Arc::new(ReqwestTransport::new(http)),
                authenticator: Arc::new(NoExtraAuthentication),
                counter: AtomicU64::new(0),
                keys: RwLock::new(HashMap::new()),
            }),
        })
    }

    /// Replaces the authenticator for `ManagedServiceIdentity`, `ActiveDirectoryOAuth` and
    /// `ClientCertificate` (call before registering workflows).
    pub fn with_authenticator(self, authenticator: Arc<dyn HttpAuthenticator>) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.authenticator = authenticator;
                Self {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => {
                tracing::warn!("authenticator not replaced: the engine is already shared");
                Self { inner }
            }
        }
    }

    /// Replaces how outbound requests are sent (tests script responses with it; call before
    /// registering workflows).
    pub fn with_transport(self, transport: Arc<dyn HttpTransport>) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.transport = transport;
                Self {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => {
                tracing::warn!("transport not replaced: the engine is already shared");
                Self { inner }
            }
        }
    }

    /// Registers (or replaces) a workflow.
    pub fn add_workflow(&self, workflow: Workflow) {
        let key = workflow.name.to_ascii_lowercase();
        let mut map = self
            .inner
            .workflows
            .write()
            .unwrap_or_else(|e| e.into_inner());
        map.insert(key, Arc::new(workflow));
    }

    /// A registered workflow.
    pub fn workflow(&self, name: &str) -> Option<Arc<Workflow>> {
        self.inner.workflow(name)
    }

    /// Every registered workflow, by name.
    pub fn workflows(&self) -> Vec<Arc<Workflow>> {
        let map = self
            .inner
            .workflows
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = map.values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Sets the key that signs a workflow's callback URLs.
    pub fn set_access_key(&self, workflow: &str, key: Vec<u8>) {
        let mut keys = self.inner.keys.write().unwrap_or_else(|e| e.into_inner());
        keys.insert(workflow.to_ascii_lowercase(), key);
    }

    /// The key that signs a workflow's callback URLs.
    pub fn access_key(&self, workflow: &str) -> Option<Vec<u8>> {
        let keys = self.inner.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.get(&workflow.to_ascii_lowercase()).cloned()
    }

    /// The engine's clock.
    pub fn clock(&self) -> Arc<dyn EngineClock> {
        self.inner.clock.clone()
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Fires `trigger` of `workflow`.
    pub async fn start(
        &self,
        workflow: &str,
        trigger: &str,
        request: TriggerRequest,
    ) -> Result<RunHandle, WorkflowError> {
        self.inner.start_nested(workflow, trigger, request, 0).await
    }

    /// Fires a trigger and waits for the run to end.
    pub async fn run_to_completion(
        &self,
        workflow: &str,
        trigger: &str,
        request: TriggerRequest,
    ) -> Result<RunSummary, WorkflowError> {
        let handle = self.start(workflow, trigger, request).await?;
        let id = handle.run_id.clone();
        handle
            .finished()
            .await
            .ok_or(WorkflowError::RunNotFound(id))
    }

    /// Runs of a workflow, newest first (live Stateless runs included while they run).
    pub async fn list_runs(
        &self,
        workflow: &str,
        query: &WorkflowRunQuery,
    ) -> Result<Vec<StoredRun>, WorkflowError> {
        let wf = self
            .workflow(workflow)
            .ok_or_else(|| WorkflowError::WorkflowNotFound(workflow.into()))?;
        let mut out: Vec<StoredRun> = self
            .inner
            .live_runs(&wf.name)
            .into_iter()
            .map(|r| live_snapshot(&r).0)
            .filter(|r| {
                query.status.as_deref().is_none_or(|s| {
                    r.document
                        .get("status")
                        .and_then(Value::as_str)
                        .is_some_and(|x| x.eq_ignore_ascii_case(s))
                })
            })
            .collect();
        if let Some(store) = &self.inner.store {
            for rec in store.workflow_runs(&wf.name, query).await? {
                if !out.iter().any(|r| r.run_id == rec.run_id) {
                    out.push(StoredRun::from_record(&rec));
                }
            }
        }
        out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        out.truncate(query.top.max(1));
        Ok(out)
    }

    /// One run and its action executions.
    pub async fn get_run(
        &self,
        workflow: &str,
        run_id: &str,
    ) -> Result<(StoredRun, Vec<StoredAction>), WorkflowError> {
        let wf = self
            .workflow(workflow)
            .ok_or_else(|| WorkflowError::WorkflowNotFound(workflow.into()))?;
        let live = lock(&self.inner.live)
            .get(&live_key(&wf.name, run_id))
            .cloned();
        if let Some(run) = live {
            return Ok(live_snapshot(&run));
        }
        let store = self
            .inner
            .store
            .as_ref()
            .ok_or_else(|| WorkflowError::RunNotFound(run_id.into()))?;
        let rec = store
            .workflow_run(&wf.name, run_id)
            .await?
            .ok_or_else(|| WorkflowError::RunNotFound(run_id.into()))?;
        let actions = store.workflow_run_actions(&wf.name, run_id).await?;
        Ok((
            StoredRun::from_record(&rec),
            actions.iter().map(StoredAction::from_record).collect(),
        ))
    }

    /// Cancels a running run (as Terminate with status Cancelled).
    pub fn cancel_run(&self, workflow: &str, run_id: &str) -> Result<(), WorkflowError> {
        let live = lock(&self.inner.live)
            .get(&live_key(workflow, run_id))
            .cloned();
        let run = live.ok_or_else(|| {
            WorkflowError::Conflict(format!("The workflow run '{run_id}' is not running."))
        })?;
        *lock(&run.terminated) = Some(run::Termination {
            status: Status::Cancelled,
            error: None,
        });
        run.cancel();
        Ok(())
    }

    /// Starts one scheduler task per Recurrence trigger; they stop when `stop` turns true.
    pub fn start_recurrences(&self, stop: watch::Receiver<bool>) {
        for wf in self.workflows() {
            for t in &wf.definition.triggers {
                if let TriggerKind::Recurrence(r) = &t.kind {
                    recurrence::spawn(
                        self.clone(),
                        wf.name.clone(),
                        t.name.clone(),
                        r.clone(),
                        stop.clone(),
                    );
                }
            }
        }
    }
}

impl EngineInner {
    pub(crate) fn workflow(&self, name: &str) -> Option<Arc<Workflow>> {
        let map = self.workflows.read().unwrap_or_else(|e| e.into_inner());
        map.get(&name.to_ascii_lowercase()).cloned()
    }

    fn live_runs(&self, workflow: &str) -> Vec<Arc<RunState>> {
        let prefix = format!("{}/", workflow.to_ascii_lowercase());
        lock(&self.live)
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Limits for a workflow's kind (Stateless ones are tighter).
    pub(crate) fn limits_for(&self, workflow: &Workflow) -> RunLimits {
        let mut l = self.config.limits.clone();
        if workflow.kind == WorkflowKind::Stateless {
            l.max_foreach_items = l.max_foreach_items.min(100);
            l.max_until_count = l.max_until_count.min(100);
            l.max_variable_size = l.max_variable_size.min(1024);
        }
        l
    }

    pub(crate) fn new_tracking_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    /// A run id like the runtime's (`08584696373009653914594172944CU00`): 20 digits of
    /// `Int64.MaxValue` minus .NET ticks (newest sorts first), 9 digits of sequence, and a
    /// scale-unit suffix.
    pub(crate) fn new_run_id(&self) -> String {
        const MAX_TICKS: u128 = i64::MAX as u128;
        const EPOCH_TICKS: u128 = 621_355_968_000_000_000;
        let since = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let ticks = EPOCH_TICKS + since.as_nanos() / 100;
        let reverse = MAX_TICKS.saturating_sub(ticks);
        let seq = self.counter.fetch_add(1, Ordering::Relaxed);
        // Within one tick, later runs must still sort first: count the sequence down.
        let seq_part = 999_999_999 - (seq % 1_000_000_000);
        format!("{reverse:020}{seq_part:09}CU00")
    }
}
