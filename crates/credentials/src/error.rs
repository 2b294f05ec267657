//! What can fail while acquiring a token, with the remote service's own error kept intact.

/// A credential failure. Messages never include tokens, secrets or assertions.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredentialError {
    /// The request could not be sent or the answer not read.
    #[error("{step}: HTTP failure: {message}")]
    Transport {
        /// Which step failed.
        step: String,
        /// The transport error.
        message: String,
    },
    /// An Entra token endpoint refused (`error`, `error_codes`, `error_description`).
    #[error("{step}: {error} (AADSTS{code}): {description}")]
    Authority {
        /// Which step failed.
        step: String,
        /// HTTP status.
        status: u16,
        /// OAuth `error`.
        error: String,
        /// First AADSTS code, 0 when absent.
        code: u64,
        /// `error_description` up to its trace lines.
        description: String,
    },
    /// A managed-identity endpoint refused.
    #[error("{step}: managed identity endpoint answered {status}: {message}")]
    ManagedIdentity {
        /// Which step failed.
        step: String,
        /// HTTP status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// Key Vault refused (`{"error": {"code", "message"}}`).
    #[error("{step}: Key Vault answered {status} {code}: {message}")]
    Vault {
        /// Which step failed.
        step: String,
        /// HTTP status.
        status: u16,
        /// Key Vault error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The credential is misconfigured (missing environment, bad key, bad URL).
    #[error("{0}")]
    Config(String),
    /// A response did not have the expected shape.
    #[error("{step}: unexpected response: {message}")]
    Protocol {
        /// Which step failed.
        step: String,
        /// What was wrong.
        message: String,
    },
}

impl CredentialError {
    /// Whether trying again later may succeed: the service was unreachable, busy (429) or
    /// failing (5xx). Refusals and misconfigurations are not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Authority { status, .. }
            | Self::ManagedIdentity { status, .. }
            | Self::Vault { status, .. } => *status == 429 || *status >= 500,
            Self::Config(_) | Self::Protocol { .. } => false,
        }
    }

    pub(crate) fn transport(step: &str, e: impl std::fmt::Display) -> Self {
        Self::Transport {
            step: step.into(),
            message: e.to_string(),
        }
    }

    pub(crate) fn protocol(step: &str, message: impl Into<String>) -> Self {
        Self::Protocol {
            step: step.into(),
            message: message.into(),
        }
    }
}
