//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use skybridge_store::{SqliteStore, WorkflowRunStore};
use skybridge_workflow::definition::{self, WorkflowOptions};
use skybridge_workflow::engine::{HttpTransport, OutboundRequest, OutboundResponse};
use skybridge_workflow::history::{MemoryRunStore, RunSummary, StoredAction, StoredRun};
use skybridge_workflow::{Engine, EngineConfig, TokioClock, TriggerRequest};

/// 2026-01-01T00:00:00Z.
pub const EPOCH: i64 = 1_767_225_600;

pub struct Harness {
    pub engine: Engine,
}

/// An engine over the in-memory store (works on a paused clock).
pub async fn harness_with(
    config: EngineConfig,
    transport: Option<Arc<dyn HttpTransport>>,
) -> Harness {
    let store: Arc<dyn WorkflowRunStore> = Arc::new(MemoryRunStore::new());
    harness_on(config, transport, store)
}

/// An engine over SQLite in memory.
pub async fn sqlite_harness() -> Harness {
    let store: Arc<dyn WorkflowRunStore> = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    harness_on(EngineConfig::default(), None, store)
}

pub fn harness_on(
    config: EngineConfig,
    transport: Option<Arc<dyn HttpTransport>>,
    dyn_store: Arc<dyn WorkflowRunStore>,
) -> Harness {
    let clock = Arc::new(TokioClock::new(&skybridge_jose::FixedClock::new(EPOCH)));
    let mut engine = Engine::new(config, clock, Some(dyn_store)).unwrap();
    if let Some(t) = transport {
        engine = engine.with_transport(t);
    }
    Harness { engine }
}

pub async fn harness() -> Harness {
    harness_with(EngineConfig::default(), None).await
}

impl Harness {
    /// Loads `doc` as workflow `name` and registers it.
    pub fn add(&self, name: &str, doc: Value) {
        let wf = definition::load_value(
            doc,
            &WorkflowOptions {
                name: name.into(),
                app: "app".into(),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        self.engine.add_workflow(wf);
    }

    /// Runs the first trigger with `body` and returns the summary and the stored actions.
    pub async fn run(&self, name: &str, body: Option<Value>) -> (RunSummary, Vec<StoredAction>) {
        let wf = self.engine.workflow(name).unwrap();
        let trigger = wf.definition.triggers[0].name.clone();
        let summary = self
            .engine
            .run_to_completion(
                name,
                &trigger,
                TriggerRequest {
                    method: "POST".into(),
                    body,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let (_, actions) = self.engine.get_run(name, &summary.run_id).await.unwrap();
        (summary, actions)
    }

    pub async fn stored(&self, name: &str, run: &str) -> (StoredRun, Vec<StoredAction>) {
        self.engine.get_run(name, run).await.unwrap()
    }
}

/// A bare definition with a manual trigger and `actions`.
pub fn wf(actions: Value) -> Value {
    json!({
        "definition": {
            "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
            "contentVersion": "1.0.0.0",
            "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {}}},
            "actions": actions,
            "outputs": {}
        },
        "kind": "Stateful"
    })
}

/// Status of the (non-repetition) record of `action`.
pub fn status_of(actions: &[StoredAction], action: &str) -> String {
    actions
        .iter()
        .find(|a| a.name == action && a.repetition.is_empty())
        .map(|a| a.document["status"].as_str().unwrap_or("").to_string())
        .unwrap_or_else(|| "<none>".into())
}

pub fn doc_of<'a>(actions: &'a [StoredAction], action: &str) -> &'a Value {
    &actions
        .iter()
        .find(|a| a.name == action && a.repetition.is_empty())
        .unwrap_or_else(|| panic!("no record of {action}"))
        .document
}

/// A transport answering from a script, recording requests.
#[derive(Default)]
pub struct Scripted {
    pub responses: Mutex<Vec<Result<OutboundResponse, String>>>,
    pub requests: Mutex<Vec<OutboundRequest>>,
    pub calls: AtomicUsize,
}

impl Scripted {
    pub fn new(responses: Vec<Result<OutboundResponse, String>>) -> Arc<Self> {
        let mut r = responses;
        r.reverse();
        Arc::new(Self {
            responses: Mutex::new(r),
            ..Default::default()
        })
    }
}

pub fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Result<OutboundResponse, String> {
    Ok(OutboundResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: bytes::Bytes::from(body.to_string()),
    })
}

#[async_trait]
impl HttpTransport for Scripted {
    async fn send(
        &self,
        request: OutboundRequest,
        _: Option<&reqwest::Client>,
        _: usize,
    ) -> Result<OutboundResponse, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.requests.lock().unwrap().push(request);
        self.responses
            .lock()
            .unwrap()
            .pop()
            .unwrap_or_else(|| resp(500, &[], "script exhausted"))
    }
}
