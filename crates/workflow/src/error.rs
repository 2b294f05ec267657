//! The crate's error type, mapped to the Logic Apps wire error (`{"error": {code, message}}`)
//! at the HTTP edge.

use crate::definition::LoadError;

/// Everything the workflow service can refuse or fail with outside a run (a run's own failures
/// are part of its history, not errors).
#[derive(Debug, Clone, thiserror::Error)]
pub enum WorkflowError {
    /// The definition is not valid.
    #[error("{0}")]
    InvalidTemplate(#[from] LoadError),
    /// No such workflow.
    #[error("The workflow '{0}' could not be found.")]
    WorkflowNotFound(String),
    /// No such trigger.
    #[error("The workflow '{workflow}' has no trigger '{trigger}'.")]
    TriggerNotFound {
        /// Workflow.
        workflow: String,
        /// Trigger.
        trigger: String,
    },
    /// No such run.
    #[error("The workflow run '{0}' could not be found.")]
    RunNotFound(String),
    /// No such action (or repetition) in the run.
    #[error("The workflow run action '{0}' could not be found.")]
    ActionNotFound(String),
    /// A callback request without a signature.
    #[error("The request must be authenticated only by Shared Access scheme.")]
    SignatureRequired,
    /// A callback request whose signature does not verify.
    #[error("The provided authentication token is not valid, token signature verification failed.")]
    SignatureInvalid,
    /// The request is not acceptable (method, path, body, schema...).
    #[error("{message}")]
    BadRequest {
        /// Logic Apps error code (`TriggerRequestMethodNotValid`, `InvalidRequestContent`, ...).
        code: String,
        /// What is wrong.
        message: String,
    },
    /// The request body is over the size limit.
    #[error("The request content length {size} exceeds the maximum of {limit} bytes.")]
    TooLarge {
        /// Bytes received (or announced).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The operation does not apply to this workflow (e.g. history of a Stateless workflow).
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error("The workflow history store failed: {0}")]
    Store(String),
}

impl WorkflowError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidTemplate(_) | Self::BadRequest { .. } => 400,
            Self::WorkflowNotFound(_)
            | Self::TriggerNotFound { .. }
            | Self::RunNotFound(_)
            | Self::ActionNotFound(_) => 404,
            Self::SignatureRequired | Self::SignatureInvalid => 401,
            Self::TooLarge { .. } => 413,
            Self::Conflict(_) => 409,
            Self::Store(_) => 500,
        }
    }

    /// The Logic Apps error code.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidTemplate(_) => "InvalidTemplate",
            Self::WorkflowNotFound(_) => "WorkflowNotFound",
            Self::TriggerNotFound { .. } => "WorkflowTriggerNotFound",
            Self::RunNotFound(_) => "WorkflowRunNotFound",
            Self::ActionNotFound(_) => "WorkflowRunActionNotFound",
            Self::SignatureRequired => "DirectApiAuthorizationRequired",
            Self::SignatureInvalid => "DirectApiInvalidAuthorizationSignature",
            Self::BadRequest { code, .. } => code,
            Self::TooLarge { .. } => "RequestEntityTooLarge",
            Self::Conflict(_) => "Conflict",
            Self::Store(_) => "InternalServerError",
        }
    }

    /// The wire body: `{"error": {"code", "message"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"error": {"code": self.code(), "message": self.to_string()}})
    }
}

impl From<skybridge_store::StoreError> for WorkflowError {
    fn from(e: skybridge_store::StoreError) -> Self {
        Self::Store(e.to_string())
    }
}
