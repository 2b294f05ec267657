//! Logic Apps-compatible workflows for Skybridge.
//!
//! * [`definition`] loads Logic Apps Standard `workflow.json` files (or bare definitions),
//!   resolves `parameters.json`, app settings and definition parameters, and validates the
//!   whole document up front: an unknown action type, a `runAfter` cycle or an expression that
//!   does not parse is a [`LoadError`] naming the JSON path, shaped like the runtime's
//!   `InvalidTemplate` errors.
//! * [`engine`] runs workflows: actions form a graph through `runAfter`, parallel branches run
//!   concurrently on tokio, statuses propagate and resolve exactly as the runtime's do
//!   (research/workflow.md §5), and every action of the catalogue is implemented except the
//!   connectors.
//! * [`history`] turns executions into the runtime's run-history JSON shapes and persists them
//!   through [`skybridge_store::WorkflowRunStore`].
//! * [`http`] is the axum edge: Request-trigger callback URLs (`/api/{workflow}/triggers/…`)
//!   and the Standard runtime's management API
//!   (`/runtime/webhooks/workflow/api/management/workflows/…`).
//! * [`cli`] holds what the `skybridge expr` and `skybridge runs` commands print.
//!
//! Protocol and engine logic never see axum or SQL; time comes from an [`EngineClock`] whose
//! sub-second progress follows tokio's clock, so tests drive retries, waits and recurrences with
//! `tokio::time::pause`.

pub mod callback;
pub mod cli;
pub mod definition;
pub mod engine;
mod error;
pub mod history;
pub mod http;
pub mod schema;
pub mod status;
pub mod time;

pub use definition::{LoadError, Workflow, WorkflowKind};
pub use engine::{Engine, EngineConfig, RunHandle, TriggerRequest};
pub use error::WorkflowError;
pub use status::Status;
pub use time::{EngineClock, TokioClock};
