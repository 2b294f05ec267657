//! Engine settings, the trigger request that starts a run, and the handle of a started run.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::sync::oneshot;

use super::ResponseMessage;
use crate::history::RunSummary;

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
    /// Host names pinned to addresses for outbound calls (Skybridge's own hosts, so workflows
    /// reach them without hosts-file entries).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
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
            resolve: Vec::new(),
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
