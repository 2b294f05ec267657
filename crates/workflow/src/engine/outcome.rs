//! What one action execution produced, and the runtime's fixed error texts (status codes and
//! messages as the cloud reports them in `actions()`, `result()` and run history).

use serde_json::{Value, json};

use crate::status::Status;

/// Message of a failed scope, loop or run.
pub(crate) const ACTION_FAILED: &str = "An action failed. No dependent actions succeeded.";

/// The result of executing one action.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub status: Status,
    /// `OK`, `NotSpecified`, an HTTP status name, `ActionFailed`, `BadRequest`, ...
    pub code: String,
    /// `{code, message}`.
    pub error: Option<Value>,
    pub inputs: Option<Value>,
    pub outputs: Option<Value>,
    pub retry_history: Vec<Value>,
    /// An Http action's token-acquisition steps (`authenticationSteps`).
    pub authentication_steps: Vec<Value>,
    /// Foreach/Until iterations run.
    pub iterations: Option<usize>,
}

impl Outcome {
    pub fn new(status: Status, code: &str) -> Self {
        Self {
            status,
            code: code.to_string(),
            error: None,
            inputs: None,
            outputs: None,
            retry_history: Vec::new(),
            authentication_steps: Vec::new(),
            iterations: None,
        }
    }

    /// Succeeded with code `OK`.
    pub fn ok(inputs: Option<Value>, outputs: Option<Value>) -> Self {
        Self {
            inputs,
            outputs,
            ..Self::new(Status::Succeeded, "OK")
        }
    }

    /// Succeeded with code `NotSpecified` (control and variable actions).
    pub fn not_specified() -> Self {
        Self::new(Status::Succeeded, "NotSpecified")
    }

    /// Failed with `code`, carrying `{code: error_code, message}`.
    pub fn failed(code: &str, error_code: &str, message: impl Into<String>) -> Self {
        Self {
            error: Some(error(error_code, message)),
            ..Self::new(Status::Failed, code)
        }
    }

    /// A failure of the action's own logic (`BadRequest` / `InvalidTemplate`-style).
    pub fn bad_request(error_code: &str, message: impl Into<String>) -> Self {
        Self::failed("BadRequest", error_code, message)
    }

    /// An expression in the action's inputs failed to evaluate.
    pub fn template_error(action: &str, e: &skybridge_wdl::ExprError) -> Self {
        Self::bad_request(
            "InvalidTemplate",
            format!(
                "Unable to process template language expressions in action '{action}' inputs at line '0' and column '0': '{e}'."
            ),
        )
    }

    /// An expression of a control action (condition, foreach, switch) failed.
    pub fn condition_error(action: &str, e: &skybridge_wdl::ExprError) -> Self {
        Self::bad_request(
            "InvalidTemplate",
            format!(
                "Unable to process template language expressions for action '{action}' at line '0' and column '0': '{e}'."
            ),
        )
    }

    /// A scope, branch or loop whose contents failed or timed out.
    pub fn from_container(status: Status) -> Self {
        match status {
            Status::Failed => Self::failed("ActionFailed", "ActionFailed", ACTION_FAILED),
            Status::TimedOut => Self {
                error: Some(error("ActionTimedOut", ACTION_FAILED)),
                ..Self::new(Status::TimedOut, "ActionTimedOut")
            },
            s => Self::new(s, "NotSpecified"),
        }
    }

    pub fn with_inputs(mut self, inputs: Value) -> Self {
        self.inputs = Some(inputs);
        self
    }
}

/// `{code, message}`.
pub(crate) fn error(code: &str, message: impl Into<String>) -> Value {
    json!({"code": code, "message": message.into()})
}

/// Skipped because a `runAfter` predecessor ended in a status the action does not accept.
pub(crate) fn skipped_by_run_after(
    action: &str,
    predecessor: &str,
    expected: &[Status],
    actual: Status,
) -> Outcome {
    let expected = expected
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Outcome {
        error: Some(error(
            "ActionConditionFailed",
            format!(
                "The execution of template action '{action}' is skipped: the 'runAfter' condition for action '{predecessor}' is not satisfied. Expected status values '{expected}' and actual value '{actual}'."
            ),
        )),
        ..Outcome::new(Status::Skipped, "ActionSkipped")
    }
}

/// Skipped because it sits in an If branch or Switch case that was not taken.
pub(crate) fn skipped_by_branch(action: &str) -> Outcome {
    Outcome {
        error: Some(error(
            "ActionBranchingConditionNotSatisfied",
            format!(
                "The execution of template action '{action}' skipped: the branching condition for this action is not satisfied."
            ),
        )),
        ..Outcome::new(Status::Skipped, "ActionSkipped")
    }
}

/// Skipped because the control action containing it did not run its contents.
pub(crate) fn skipped_by_parent(action: &str, parent: &str, status: Status, code: &str) -> Outcome {
    Outcome {
        error: Some(error(
            "ActionDependencyFailed",
            format!(
                "The execution of template action '{action}' is skipped: dependant action '{parent}' completed with status '{status}' and code '{code}'."
            ),
        )),
        ..Outcome::new(Status::Skipped, "ActionSkipped")
    }
}

/// The .NET `HttpStatusCode` name the runtime uses as an HTTP action's code (the number itself
/// when .NET has no name, e.g. `429`).
pub(crate) fn http_status_name(status: u16) -> String {
    let name = match status {
        100 => "Continue",
        101 => "SwitchingProtocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "NonAuthoritativeInformation",
        204 => "NoContent",
        205 => "ResetContent",
        206 => "PartialContent",
        300 => "MultipleChoices",
        301 => "MovedPermanently",
        302 => "Found",
        303 => "SeeOther",
        304 => "NotModified",
        307 => "TemporaryRedirect",
        308 => "PermanentRedirect",
        400 => "BadRequest",
        401 => "Unauthorized",
        402 => "PaymentRequired",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        407 => "ProxyAuthenticationRequired",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "LengthRequired",
        412 => "PreconditionFailed",
        413 => "RequestEntityTooLarge",
        414 => "RequestUriTooLong",
        415 => "UnsupportedMediaType",
        416 => "RequestedRangeNotSatisfiable",
        417 => "ExpectationFailed",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        505 => "HttpVersionNotSupported",
        _ => return status.to_string(),
    };
    name.to_string()
}
