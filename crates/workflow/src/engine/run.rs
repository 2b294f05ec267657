//! The state of one run: variables, action results per loop frame, history records, the
//! Response channel and the cancellation signal; and the expression [`Context`] built on it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use serde_json::{Value, json};
use skybridge_wdl::Context;
use tokio::sync::{oneshot, watch};

use super::EngineInner;
use super::variables::Variable;
use crate::definition::Workflow;
use crate::history::ActionExecution;
use crate::status::Status;

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the data itself is
/// always left consistent: every critical section is a single insert or read).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The HTTP answer a Response action produces.
#[derive(Debug, Clone)]
pub struct ResponseMessage {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: bytes::Bytes,
}

/// How a Terminate action ended the run.
#[derive(Debug, Clone)]
pub(crate) struct Termination {
    pub status: Status,
    pub error: Option<Value>,
}

/// Shared state of one run.
pub(crate) struct RunState {
    pub engine: Arc<EngineInner>,
    pub workflow: Arc<Workflow>,
    pub run_id: String,
    pub correlation_id: String,
    pub client_tracking_id: String,
    pub start: SystemTime,
    /// The trigger's result object (`trigger()`).
    pub trigger: Value,
    pub variables: Mutex<HashMap<String, Variable>>,
    pub records: Mutex<Vec<ActionExecution>>,
    pub cancel_tx: watch::Sender<bool>,
    pub terminated: Mutex<Option<Termination>>,
    /// The waiting caller, until a Response answers it.
    pub response: Mutex<Option<oneshot::Sender<ResponseMessage>>>,
    /// Whether a caller was waiting when the run started.
    pub response_expected: bool,
    /// Whether a Response answered it.
    pub response_sent: AtomicBool,
    /// Action executions so far (runaway guard).
    pub executions: AtomicU64,
    /// Child-workflow nesting depth of this run.
    pub depth: usize,
    /// Secure parameter values, redacted from history.
    pub secrets: Vec<String>,
}

impl RunState {
    /// Whether Terminate (or a cancel) stopped the run.
    pub fn is_cancelled(&self) -> bool {
        *self.cancel_tx.borrow()
    }

    /// Resolves when the run is cancelled.
    pub async fn cancelled(&self) {
        let mut rx = self.cancel_tx.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Stops every in-flight action and anything not yet started.
    pub fn cancel(&self) {
        self.cancel_tx.send_replace(true);
    }

    pub fn now(&self) -> SystemTime {
        self.engine.clock.now()
    }

    pub fn record(&self, execution: ActionExecution) {
        lock(&self.records).push(execution);
    }

    /// Counts one action execution; false once the run's budget is spent.
    pub fn charge(&self) -> bool {
        self.executions.fetch_add(1, Ordering::Relaxed)
            < self.engine.config.limits.max_action_executions
    }

    /// The `workflow()` object.
    pub fn workflow_object(&self) -> Value {
        let name = &self.workflow.name;
        json!({
            "id": format!("/workflows/{name}"),
            "name": name,
            "type": "Microsoft.Logic/workflows",
            "location": "local",
            "run": {
                "id": format!("/workflows/{name}/runs/{}", self.run_id),
                "name": self.run_id,
                "type": "Microsoft.Logic/workflows/runs",
            },
            "tags": {},
        })
    }
}

/// Action results visible at one level of loop nesting. A Foreach iteration or Until
/// iteration gets its own frame; Scope, If and Switch share their parent's.
#[derive(Default)]
pub(crate) struct Frame {
    results: Mutex<HashMap<String, Value>>,
    scope_results: Mutex<HashMap<String, Value>>,
    parent: Option<Arc<Frame>>,
    /// (lower-cased Foreach name, current item).
    item: Option<(String, Value)>,
    /// (lower-cased Until name, iteration index).
    until: Option<(String, i64)>,
    /// `repetitionIndexes`, outermost loop first: (loop name, index).
    pub repetition: Vec<(String, usize)>,
}

impl Frame {
    pub fn root() -> Arc<Frame> {
        Arc::new(Frame::default())
    }

    pub fn foreach_iteration(
        parent: &Arc<Frame>,
        loop_name: &str,
        index: usize,
        item: Value,
    ) -> Arc<Frame> {
        let mut repetition = parent.repetition.clone();
        repetition.push((loop_name.to_string(), index));
        Arc::new(Frame {
            parent: Some(parent.clone()),
            item: Some((loop_name.to_ascii_lowercase(), item)),
            repetition,
            ..Frame::default()
        })
    }

    pub fn until_iteration(parent: &Arc<Frame>, loop_name: &str, index: usize) -> Arc<Frame> {
        let mut repetition = parent.repetition.clone();
        repetition.push((loop_name.to_string(), index));
        Arc::new(Frame {
            parent: Some(parent.clone()),
            until: Some((
                loop_name.to_ascii_lowercase(),
                i64::try_from(index).unwrap_or(i64::MAX),
            )),
            repetition,
            ..Frame::default()
        })
    }

    pub fn set_result(&self, name: &str, result: Value) {
        lock(&self.results).insert(name.to_ascii_lowercase(), result);
    }

    pub fn own_result(&self, name: &str) -> Option<Value> {
        lock(&self.results).get(&name.to_ascii_lowercase()).cloned()
    }

    pub fn set_scope_result(&self, name: &str, result: Value) {
        lock(&self.scope_results).insert(name.to_ascii_lowercase(), result);
    }

    /// Copies this frame's results into its parent (after an Until loop: outside the loop,
    /// `outputs('X')` is the last iteration's).
    pub fn publish_to_parent(&self) {
        if let Some(parent) = &self.parent {
            let mine = lock(&self.results).clone();
            lock(&parent.results).extend(mine);
            let scopes = lock(&self.scope_results).clone();
            lock(&parent.scope_results).extend(scopes);
        }
    }

    fn find<T>(&self, f: &dyn Fn(&Frame) -> Option<T>) -> Option<T> {
        let mut cur = Some(self);
        while let Some(frame) = cur {
            if let Some(v) = f(frame) {
                return Some(v);
            }
            cur = frame.parent.as_deref();
        }
        None
    }

    pub fn lookup(&self, name: &str) -> Option<Value> {
        let key = name.to_ascii_lowercase();
        self.find(&|f| lock(&f.results).get(&key).cloned())
    }

    fn lookup_scope(&self, name: &str) -> Option<Value> {
        let key = name.to_ascii_lowercase();
        self.find(&|f| lock(&f.scope_results).get(&key).cloned())
    }
}

/// The expression context of one evaluation site.
pub(crate) struct EvalCtx<'a> {
    pub run: &'a RunState,
    pub frame: &'a Frame,
    /// `action()`: the current action's result object (trackedProperties, Until conditions).
    pub current: Option<Value>,
    /// `item()` for Query/Select/Table rows.
    pub row: Option<Value>,
}

impl<'a> EvalCtx<'a> {
    pub fn new(run: &'a RunState, frame: &'a Frame) -> Self {
        Self {
            run,
            frame,
            current: None,
            row: None,
        }
    }
}

impl Context for EvalCtx<'_> {
    fn parameter(&self, name: &str) -> Option<Value> {
        self.run
            .workflow
            .parameters
            .get(&name.to_ascii_lowercase())
            .map(|p| p.value.clone())
    }

    fn variable(&self, name: &str) -> Option<Value> {
        lock(&self.run.variables)
            .get(&name.to_ascii_lowercase())
            .map(|v| v.value.clone())
    }

    fn app_setting(&self, name: &str) -> Option<String> {
        let settings = &self.run.workflow.app_settings;
        settings.get(name).cloned().or_else(|| {
            settings
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        })
    }

    fn trigger(&self) -> Option<Value> {
        Some(self.run.trigger.clone())
    }

    fn action(&self, name: &str) -> Option<Value> {
        self.frame.lookup(name)
    }

    fn current_action(&self) -> Option<Value> {
        self.current.clone()
    }

    fn item(&self) -> Option<Value> {
        if let Some(row) = &self.row {
            return Some(row.clone());
        }
        self.frame
            .find(&|f| f.item.as_ref().map(|(_, v)| v.clone()))
    }

    fn items(&self, loop_name: &str) -> Option<Value> {
        let key = loop_name.to_ascii_lowercase();
        self.frame.find(&|f| match &f.item {
            Some((n, v)) if *n == key => Some(v.clone()),
            _ => None,
        })
    }

    fn iteration_index(&self, loop_name: &str) -> Option<i64> {
        let key = loop_name.to_ascii_lowercase();
        self.frame.find(&|f| match &f.until {
            Some((n, i)) if *n == key => Some(*i),
            _ => None,
        })
    }

    fn result(&self, scope_name: &str) -> Option<Value> {
        self.frame.lookup_scope(scope_name)
    }

    fn workflow(&self) -> Option<Value> {
        Some(self.run.workflow_object())
    }

    fn now(&self) -> SystemTime {
        self.run.now()
    }
}
