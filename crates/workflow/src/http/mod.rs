//! The HTTP edge (axum): Request-trigger callbacks (`/api/{workflow}/triggers/{trigger}/invoke`)
//! and the Logic Apps Standard runtime's management API
//! (`/runtime/webhooks/workflow/api/management/workflows/…`), with the same JSON shapes.
//! Everything here translates between HTTP and the engine; no workflow logic lives here.

mod invoke;
mod management;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};

use crate::engine::Engine;
use crate::error::WorkflowError;

/// The management API's path prefix.
pub const MANAGEMENT_PREFIX: &str = "/runtime/webhooks/workflow/api/management";

/// What the router serves.
#[derive(Clone)]
pub struct WorkflowApi {
    pub(crate) engine: Engine,
    /// Only this app's workflows (None: all).
    pub(crate) app: Option<String>,
    /// Public origin for callback URLs and content links (`https://app.workflows.x:8443`);
    /// derived from the request's Host (as `http://`) when None.
    pub(crate) origin: Option<String>,
}

impl WorkflowApi {
    /// Serves `engine`'s workflows of `app` (all when None) under `origin`.
    pub fn new(engine: Engine, app: Option<String>, origin: Option<String>) -> Self {
        Self {
            engine,
            app,
            origin,
        }
    }

    /// A registered workflow visible through this API.
    pub(crate) fn workflow(&self, name: &str) -> Result<Arc<crate::Workflow>, WorkflowError> {
        self.engine
            .workflow(name)
            .filter(|w| {
                self.app
                    .as_deref()
                    .is_none_or(|a| w.app.eq_ignore_ascii_case(a))
            })
            .ok_or_else(|| WorkflowError::WorkflowNotFound(name.to_string()))
    }

    /// The origin requests should use.
    pub(crate) fn origin(&self, headers: &HeaderMap) -> String {
        if let Some(o) = &self.origin {
            return o.clone();
        }
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    }
}

/// The error body `{"error": {code, message}}` with its status.
pub(crate) fn error_response(e: &WorkflowError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(e.to_json())).into_response()
}

impl IntoResponse for WorkflowError {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}

/// The router.
pub fn router(api: WorkflowApi) -> Router {
    let m = MANAGEMENT_PREFIX;
    // Bodies are bounded by the engine's limit (plus slack for envelopes), not axum's 2 MB.
    let limit = api
        .engine
        .config()
        .limits
        .max_body_bytes
        .saturating_add(1024);
    Router::new()
        .route("/api/{workflow}/triggers/{trigger}/invoke", any(invoke::invoke))
        .route("/api/{workflow}/triggers/{trigger}/invoke/{*path}", any(invoke::invoke_with_path))
        .route(&format!("{m}/workflows"), get(management::list_workflows))
        .route(&format!("{m}/workflows/{{workflow}}"), get(management::get_workflow))
        .route(&format!("{m}/workflows/{{workflow}}/triggers"), get(management::list_triggers))
        .route(&format!("{m}/workflows/{{workflow}}/triggers/{{trigger}}"), get(management::get_trigger))
        .route(&format!("{m}/workflows/{{workflow}}/triggers/{{trigger}}/listCallbackUrl"), post(management::list_callback_url))
        .route(&format!("{m}/workflows/{{workflow}}/triggers/{{trigger}}/run"), post(management::run_trigger))
        .route(&format!("{m}/workflows/{{workflow}}/runs"), get(management::list_runs))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}"), get(management::get_run))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}/cancel"), post(management::cancel_run))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}/contents/{{which}}"), get(management::run_content))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}/actions"), get(management::list_actions))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}/actions/{{action}}"), get(management::get_action))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}/actions/{{action}}/contents/{{which}}"), get(management::action_content))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}/actions/{{action}}/repetitions"), get(management::list_repetitions))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}/actions/{{action}}/repetitions/{{rep}}"), get(management::get_repetition))
        .route(&format!("{m}/workflows/{{workflow}}/runs/{{run}}/actions/{{action}}/repetitions/{{rep}}/contents/{{which}}"), get(management::repetition_content))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(api)
}
