//! Action handlers. [`dispatch`] evaluates what each type needs and runs it; the scheduler's
//! wrapper does the bookkeeping common to all.

mod control;
mod data;
mod invoke;

pub(crate) use data::{call_wdl, text_of};
pub(crate) use invoke::{decode_body, encode_body, header_pairs};

use std::sync::Arc;

use serde_json::Value;

use super::outcome::Outcome;
use super::run::{EvalCtx, Frame, RunState};
use super::scheduler::BoxFut;
use super::variables;
use crate::definition::{Action, ActionKind};

/// Evaluates the action's whole `inputs` template.
pub(crate) fn eval_inputs(
    run: &RunState,
    frame: &Frame,
    action: &Action,
) -> Result<Value, Box<Outcome>> {
    skybridge_wdl::evaluate_template(&action.inputs, &EvalCtx::new(run, frame))
        .map_err(|e| Box::new(Outcome::template_error(&action.name, &e)))
}

/// Runs `action` and returns its outcome.
pub(crate) fn dispatch(
    run: Arc<RunState>,
    frame: Arc<Frame>,
    action: Arc<Action>,
) -> BoxFut<Outcome> {
    Box::pin(async move {
        match &action.kind {
            ActionKind::If { .. } => control::if_action(run, frame, action.clone()).await,
            ActionKind::Switch { .. } => control::switch(run, frame, action.clone()).await,
            ActionKind::Scope { .. } => control::scope(run, frame, action.clone()).await,
            ActionKind::Foreach { .. } => control::foreach(run, frame, action.clone()).await,
            ActionKind::Until { .. } => control::until(run, frame, action.clone()).await,
            ActionKind::Query => data::query(&run, &frame, &action),
            ActionKind::Select => data::select(&run, &frame, &action),
            ActionKind::Table => data::table(&run, &frame, &action),
            kind => {
                let inputs = match eval_inputs(&run, &frame, &action) {
                    Ok(v) => v,
                    Err(o) => return *o,
                };
                match kind {
                    ActionKind::Compose => Outcome::ok(Some(inputs.clone()), Some(inputs)),
                    ActionKind::InitializeVariable => variables::initialize(&run, &inputs),
                    ActionKind::SetVariable
                    | ActionKind::IncrementVariable
                    | ActionKind::DecrementVariable
                    | ActionKind::AppendToArrayVariable
                    | ActionKind::AppendToStringVariable => {
                        variables::update(&run, &action.type_name.to_ascii_lowercase(), &inputs)
                    }
                    ActionKind::ParseJson => data::parse_json(&action, inputs),
                    ActionKind::Join => data::join(&action, inputs),
                    ActionKind::Terminate => control::terminate(&run, inputs),
                    ActionKind::Response => invoke::response(&run, &action, inputs),
                    ActionKind::Wait => invoke::wait(&run, &action, inputs).await,
                    ActionKind::Workflow => invoke::child_workflow(&run, &action, inputs).await,
                    ActionKind::Http => super::outbound::http_action(&run, &action, inputs).await,
                    ActionKind::StaticOnly => Outcome::bad_request(
                        "ActionTypeNotSupported",
                        format!(
                            "The action type '{}' of action '{}' can only run with a static result.",
                            action.type_name, action.name
                        ),
                    ),
                    _ => Outcome::bad_request("ActionTypeNotSupported", "Unreachable action kind."),
                }
            }
        }
    })
}
