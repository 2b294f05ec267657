//! The engine: registered workflows, run start-up and completion, live runs, persistence, and
//! the recurrence scheduler.

pub(crate) mod actions;
pub mod outbound;
pub(crate) mod outcome;
pub mod recurrence;
pub(crate) mod run;
pub(crate) mod scheduler;
pub(crate) mod variables;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use skybridge_store::{WorkflowRunQuery, WorkflowRunStore};
use tokio::sync::{oneshot, watch};

pub use outbound::{
    AppliedAuth, AuthContext, HttpAuthenticator, HttpTransport, NoExtraAuthentication,
    OutboundRequest, OutboundResponse, ReqwestTransport,
};
pub use run::ResponseMessage;

use crate::definition::{Trigger, TriggerKind, Workflow, WorkflowKind};
use crate::error::WorkflowError;
use crate::history::{RunSummary, StoredAction, StoredRun, action_records};
use crate::status::Status;
use crate::time::{EngineClock, format_time};
use run::{EvalCtx, Frame, RunState, lock};

/// Run-time limits (research/workflow.md §9; Standard host defaults).
#[derive(Debug, Clone)]
pub struct RunLimits {
    /// Foreach items (Standard 100,000; Stateless 100).
    pub max_foreach_items: usize,
    /// Until iterations (5,000; Stateless 100).
    pub max_until_count: usize,
    /// Action executions per run, loops included: the runaway guard.
    pub max_action_executions: u64,
    /// Characters in a string variable (104,857,600; Stateless 1,024).
    pub max_variable_size: usize,
    /// Items in an array variable (100,000).
    pub max_array_items: usize,
    /// Nesting of child workflow calls.
    pub max_child_depth: usize,
    /// Request and response bodies in bytes (104,857,600).
    pub max_body_bytes: usize,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self {
            max_foreach_items: 100_000,
            max_until_count: 5_000,
            max_action_executions: 2_000_000,
            max_variable_size: 104_857_600,
            max_array_items: 100_000,
            max_child_depth: 8,
            max_body_bytes: 104_857_600,
        }
    }
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Limits.
    pub limits: RunLimits,
    /// One outbound HTTP request (Standard: 3 min 45 s).
    pub http_timeout: Duration,
    /// How long a Request caller waits for a Response action before 504 (single-tenant ~230 s).
    pub response_timeout: Duration,
    /// Stateful run duration (90 days).
    pub stateful_run_timeout: Duration,
    /// Stateless run duration (5 minutes).
    pub stateless_run_timeout: Duration,
    /// Poll interval of the 202 pattern when the server sends no Retry-After.
    pub async_poll_interval: Duration,
    /// Extra CA certificates (DER) outbound HTTPS trusts: the dev CA.
    pub extra_roots: Vec<Vec<u8>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            limits: RunLimits::default(),
            http_timeout: Duration::from_secs(225),
            response_timeout: Duration::from_secs(230),
            stateful_run_timeout: Duration::from_secs(90 * 86_400),
            stateless_run_timeout: Duration::from_secs(300),
            async_poll_interval: Duration::from_secs(10),
            extra_roots: Vec::new(),
        }
    }
}

/// What fired a trigger: the HTTP request of a Request trigger, a schedule, or a manual run.
#[derive(Debug, Clone, Default)]
pub struct TriggerRequest {
    /// HTTP method (Request triggers).
    pub method: String,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// Query parameters (without the SAS parameters).
    pub queries: Vec<(String, String)>,
    /// Values of the trigger's `relativePath` parameters.
    pub relative_path_parameters: Vec<(String, String)>,
    /// The body as the runtime exposes it (JSON, text or a content envelope).
    pub body: Option<Value>,
    /// Whether the caller waits for a Response action.
    pub wait_for_response: bool,
    /// When a Recurrence trigger was due.
    pub scheduled_time: Option<SystemTime>,
}

/// A started run.
pub struct RunHandle {
    /// Run id.
    pub run_id: String,
    /// The Response action's answer, when the caller waits for one.
    pub response: Option<oneshot::Receiver<ResponseMessage>>,
    /// Resolves with the run's summary when it ends.
    pub completion: oneshot::Receiver<RunSummary>,
    /// The client tracking id.
    pub client_tracking_id: String,
    /// The correlation id.
    pub correlation_id: String,
}

impl RunHandle {
    /// Waits for the run to end.
    pub async fn finished(self) -> Option<RunSummary> {
        self.completion.await.ok()
    }
}

pub(crate) struct EngineInner {
    pub config: EngineConfig,
    pub clock: Arc<dyn EngineClock>,
    store: Option<Arc<dyn WorkflowRunStore>>,
    workflows: RwLock<HashMap<String, Arc<Workflow>>>,
    live: Mutex<HashMap<String, Arc<RunState>>>,
    pub transport: Arc<dyn HttpTransport>,
    pub authenticator: Arc<dyn HttpAuthenticator>,
    counter: AtomicU64,
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
        let http = skybridge_net::https_client(&config.extra_roots, config.http_timeout)
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
                Self { inner: Arc::new(inner) }
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
                Self { inner: Arc::new(inner) }
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
        let mut map = self.inner.workflows.write().unwrap_or_else(|e| e.into_inner());
        map.insert(key, Arc::new(workflow));
    }

    /// A registered workflow.
    pub fn workflow(&self, name: &str) -> Option<Arc<Workflow>> {
        self.inner.workflow(name)
    }

    /// Every registered workflow, by name.
    pub fn workflows(&self) -> Vec<Arc<Workflow>> {
        let map = self.inner.workflows.read().unwrap_or_else(|e| e.into_inner());
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
        let wf = self.workflow(workflow).ok_or_else(|| WorkflowError::WorkflowNotFound(workflow.into()))?;
        let mut out: Vec<StoredRun> = self
            .inner
            .live_runs(&wf.name)
            .into_iter()
            .map(|r| live_snapshot(&r).0)
            .filter(|r| {
                query.status.as_deref().is_none_or(|s| {
                    r.document.get("status").and_then(Value::as_str).is_some_and(|x| x.eq_ignore_ascii_case(s))
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
        let wf = self.workflow(workflow).ok_or_else(|| WorkflowError::WorkflowNotFound(workflow.into()))?;
        let live = lock(&self.inner.live).get(&live_key(&wf.name, run_id)).cloned();
        if let Some(run) = live {
            return Ok(live_snapshot(&run));
        }
        let store = self.inner.store.as_ref().ok_or_else(|| WorkflowError::RunNotFound(run_id.into()))?;
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
        let live = lock(&self.inner.live).get(&live_key(workflow, run_id)).cloned();
        let run = live.ok_or_else(|| WorkflowError::Conflict(format!("The workflow run '{run_id}' is not running.")))?;
        *lock(&run.terminated) = Some(run::Termination { status: Status::Cancelled, error: None });
        run.cancel();
        Ok(())
    }

    /// Starts one scheduler task per Recurrence trigger; they stop when `stop` turns true.
    pub fn start_recurrences(&self, stop: watch::Receiver<bool>) {
        for wf in self.workflows() {
            for t in &wf.definition.triggers {
                if let TriggerKind::Recurrence(r) = &t.kind {
                    recurrence::spawn(self.clone(), wf.name.clone(), t.name.clone(), r.clone(), stop.clone());
                }
            }
        }
    }
}

fn live_key(workflow: &str, run_id: &str) -> String {
    format!("{}/{run_id}", workflow.to_ascii_lowercase())
}

/// A running run as history documents.
fn live_snapshot(run: &RunState) -> (StoredRun, Vec<StoredAction>) {
    let summary = summary_of(run, Status::Running, None, None, None, json!({}));
    let actions = lock(&run.records)
        .iter()
        .map(|a| StoredAction {
            name: a.name.clone(),
            repetition: a.repetition_name(),
            document: a.document(&run.client_tracking_id),
        })
        .collect();
    (
        StoredRun {
            workflow: run.workflow.name.clone(),
            run_id: run.run_id.clone(),
            document: summary.document(),
        },
        actions,
    )
}

fn summary_of(
    run: &RunState,
    status: Status,
    code: Option<String>,
    error: Option<Value>,
    end: Option<SystemTime>,
    outputs: Value,
) -> RunSummary {
    RunSummary {
        workflow: run.workflow.name.clone(),
        run_id: run.run_id.clone(),
        status,
        code,
        error,
        start: run.start,
        end,
        client_tracking_id: run.client_tracking_id.clone(),
        correlation_id: run.correlation_id.clone(),
        trigger: trigger_record(run),
        outputs,
    }
}

/// The trigger's history record, with secured parts left out.
fn trigger_record(run: &RunState) -> Value {
    let mut t = run.trigger.as_object().cloned().unwrap_or_default();
    let trig = run
        .trigger
        .get("name")
        .and_then(Value::as_str)
        .and_then(|n| run.workflow.definition.trigger(n));
    if let Some(trig) = trig {
        if trig.secure_inputs && t.remove("inputs").is_some() {
            t.insert("secureInputs".into(), json!(true));
        }
        if trig.secure_outputs && t.remove("outputs").is_some() {
            t.insert("secureOutputs".into(), json!(true));
        }
    }
    t.remove("trackingId");
    t.remove("clientTrackingId");
    Value::Object(t)
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
    fn new_run_id(&self) -> String {
        const MAX_TICKS: u128 = i64::MAX as u128;
        const EPOCH_TICKS: u128 = 621_355_968_000_000_000;
        let since = self.clock.now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let ticks = EPOCH_TICKS + since.as_nanos() / 100;
        let reverse = MAX_TICKS.saturating_sub(ticks);
        let seq = self.counter.fetch_add(1, Ordering::Relaxed);
        // Within one tick, later runs must still sort first: count the sequence down.
        let seq_part = 999_999_999 - (seq % 1_000_000_000);
        format!("{reverse:020}{seq_part:09}CU00")
    }

    pub(crate) async fn start_nested(
        self: &Arc<Self>,
        workflow: &str,
        trigger_name: &str,
        request: TriggerRequest,
        depth: usize,
    ) -> Result<RunHandle, WorkflowError> {
        let wf = self
            .workflow(workflow)
            .ok_or_else(|| WorkflowError::WorkflowNotFound(workflow.into()))?;
        let trigger = wf
            .definition
            .trigger(trigger_name)
            .ok_or_else(|| WorkflowError::TriggerNotFound {
                workflow: wf.name.clone(),
                trigger: trigger_name.into(),
            })?
            .clone();
        let run_id = self.new_run_id();
        let now = self.clock.now();
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let trigger_object = trigger_object(&trigger, &request, now, &run_id, &correlation_id);
        let expects_response = request.wait_for_response && wf.definition.has_response;
        let (response_tx, response_rx) = if expects_response {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let header_tracking = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-ms-client-tracking-id"))
            .map(|(_, v)| v.clone());
        let (cancel_tx, _) = watch::channel(false);
        let mut state = RunState {
            engine: self.clone(),
            workflow: wf.clone(),
            run_id: run_id.clone(),
            correlation_id: correlation_id.clone(),
            client_tracking_id: header_tracking.clone().unwrap_or_else(|| run_id.clone()),
            start: now,
            trigger: trigger_object,
            variables: Mutex::new(HashMap::new()),
            records: Mutex::new(Vec::new()),
            cancel_tx,
            terminated: Mutex::new(None),
            response: Mutex::new(response_tx),
            response_expected: expects_response,
            response_sent: AtomicBool::new(false),
            executions: AtomicU64::new(0),
            depth,
        };
        // Trigger conditions and a clientTrackingId template see trigger() only.
        {
            let root = Frame::root();
            let ctx = EvalCtx::new(&state, &root);
            for cond in &trigger.conditions {
                match skybridge_wdl::evaluate_template(cond, &ctx) {
                    Ok(Value::Bool(true)) => {}
                    Ok(_) => {
                        return Err(WorkflowError::BadRequest {
                            code: "TriggerConditionNotMet".into(),
                            message: format!("The trigger '{}' was skipped: its conditions were not met.", trigger.name),
                        });
                    }
                    Err(e) => {
                        return Err(WorkflowError::BadRequest {
                            code: "InvalidTemplate".into(),
                            message: format!("Unable to process template language expressions in trigger '{}' conditions: '{e}'.", trigger.name),
                        });
                    }
                }
            }
            if header_tracking.is_none()
                && let Some(template) = &trigger.client_tracking_id
                && let Ok(v) = skybridge_wdl::evaluate_template(template, &ctx)
            {
                let text = actions::text_of(&v);
                if !text.is_empty() {
                    state.client_tracking_id = text;
                }
            }
        }
        let run = Arc::new(state);
        lock(&self.live).insert(live_key(&wf.name, &run_id), run.clone());
        if wf.kind == WorkflowKind::Stateful
            && let Some(store) = &self.store
        {
            let summary = summary_of(&run, Status::Running, None, None, None, json!({}));
            if let Err(e) = store.put_workflow_run(&summary.to_record()).await {
                tracing::warn!(error = %e, run = %run_id, "recording the run start failed");
            }
        }
        let (done_tx, done_rx) = oneshot::channel();
        let client_tracking_id = run.client_tracking_id.clone();
        let engine = self.clone();
        tokio::spawn(async move {
            let summary = engine.drive(run).await;
            let _ = done_tx.send(summary);
        });
        Ok(RunHandle {
            run_id,
            response: response_rx,
            completion: done_rx,
            client_tracking_id,
            correlation_id,
        })
    }

    /// Runs the top-level container and records the outcome.
    async fn drive(self: Arc<Self>, run: Arc<RunState>) -> RunSummary {
        let root = Frame::root();
        let limit = match run.workflow.kind {
            WorkflowKind::Stateful => self.config.stateful_run_timeout,
            WorkflowKind::Stateless => self.config.stateless_run_timeout,
        };
        let body = scheduler::run_container(run.clone(), root.clone(), run.workflow.definition.actions.clone());
        let status = match tokio::time::timeout(limit, body).await {
            Ok(s) => s,
            Err(_) => {
                run.cancel();
                Status::TimedOut
            }
        };
        let termination = lock(&run.terminated).clone();
        let (status, code, error) = match (termination, status) {
            (Some(t), _) => (t.status, Some("Terminated".to_string()), t.error),
            (None, Status::Failed) => (
                Status::Failed,
                Some("ActionFailed".into()),
                Some(outcome::error("ActionFailed", outcome::ACTION_FAILED)),
            ),
            (None, Status::TimedOut) => (
                Status::TimedOut,
                Some("RunTimedOut".into()),
                Some(outcome::error("RunTimedOut", "The run exceeded its maximum duration.")),
            ),
            (None, s) => (s, None, None),
        };
        let outputs = run_outputs(&run, &root);
        // Nobody answered a waiting caller: dropping the sender tells the HTTP edge.
        lock(&run.response).take();
        let summary = summary_of(&run, status, code, error, Some(run.now()), outputs);
        if run.workflow.kind == WorkflowKind::Stateful
            && let Some(store) = &self.store
        {
            let records = action_records(&lock(&run.records), &run.client_tracking_id);
            if let Err(e) = store.put_workflow_run_with_actions(&summary.to_record(), &records).await {
                tracing::warn!(error = %e, run = %run.run_id, "recording the run history failed");
            }
        }
        lock(&self.live).remove(&live_key(&run.workflow.name, &run.run_id));
        summary
    }
}

/// Evaluates the definition's `outputs` at the end of the run.
fn run_outputs(run: &RunState, root: &Frame) -> Value {
    let mut out = Map::new();
    let ctx = EvalCtx::new(run, root);
    for o in &run.workflow.definition.outputs {
        let entry = match skybridge_wdl::evaluate_template(&o.value, &ctx) {
            Ok(v) => json!({"type": o.ty, "value": v}),
            Err(e) => json!({"type": o.ty, "error": {"code": "InvalidTemplate", "message": e.to_string()}}),
        };
        out.insert(o.name.clone(), entry);
    }
    Value::Object(out)
}

/// The trigger's result object (`trigger()`).
fn trigger_object(trigger: &Trigger, request: &TriggerRequest, now: SystemTime, run_id: &str, correlation_id: &str) -> Value {
    let mut t = Map::new();
    t.insert("name".into(), json!(trigger.name));
    let mut outputs = Map::new();
    match &trigger.kind {
        TriggerKind::Request { .. } => {
            if !trigger.inputs.is_null() {
                t.insert("inputs".into(), trigger.inputs.clone());
            }
            let mut headers = Map::new();
            for (k, v) in &request.headers {
                headers.insert(k.clone(), json!(v));
            }
            outputs.insert("headers".into(), Value::Object(headers));
            if !request.queries.is_empty() {
                let q: Map<String, Value> = request.queries.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                outputs.insert("queries".into(), Value::Object(q));
            }
            if !request.relative_path_parameters.is_empty() {
                let p: Map<String, Value> = request
                    .relative_path_parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                outputs.insert("relativePathParameters".into(), Value::Object(p));
            }
            if let Some(b) = &request.body {
                outputs.insert("body".into(), b.clone());
            }
            t.insert("outputs".into(), Value::Object(outputs));
        }
        TriggerKind::Recurrence(_) => {
            if let Some(b) = &request.body {
                outputs.insert("body".into(), b.clone());
                t.insert("outputs".into(), Value::Object(outputs));
            }
        }
    }
    if let Some(s) = request.scheduled_time {
        t.insert("scheduledTime".into(), json!(format_time(s)));
    }
    t.insert("startTime".into(), json!(format_time(now)));
    t.insert("endTime".into(), json!(format_time(now)));
    t.insert("trackingId".into(), json!(correlation_id));
    t.insert("clientTrackingId".into(), json!(run_id));
    t.insert("originHistoryName".into(), json!(run_id));
    t.insert("code".into(), json!("OK"));
    t.insert("status".into(), json!("Succeeded"));
    Value::Object(t)
}
