//! Policy failures and APIM's wire error bodies.
//!
//! A failing policy produces a [`PolicyError`]: the `context.LastError` fields plus, for
//! policies that define one, the response APIM sends (`{"statusCode":N,"message":"…"}`).
//! Failures without a defined response become APIM's 500 body.

/// A failure raised by a policy or a built-in pipeline step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// `LastError.Source` (policy name or built-in step).
    pub source: String,
    /// `LastError.Reason`.
    pub reason: String,
    /// `LastError.Message`.
    pub message: String,
    /// The response APIM sends for this failure, if it defines one.
    pub response: Option<Box<ErrorResponse>>,
    /// Keep `context.Response` as it is (the backend's error response with
    /// `fail-on-error-status-code`) instead of replacing it with an error body.
    pub keep_response: bool,
}

/// A response prescribed by a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// Status code.
    pub status: u16,
    /// The `message` of the JSON body.
    pub message: String,
    /// Extra headers (`Retry-After`, …).
    pub headers: Vec<(String, String)>,
}

impl PolicyError {
    /// A failure with no prescribed response (the caller gets a 500).
    pub fn new(source: &str, reason: &str, message: impl Into<String>) -> Self {
        Self {
            source: source.to_owned(),
            reason: reason.to_owned(),
            message: message.into(),
            response: None,
            keep_response: false,
        }
    }

    /// Adds the prescribed response.
    pub fn respond(mut self, status: u16, message: impl Into<String>) -> Self {
        self.response = Some(Box::new(ErrorResponse {
            status,
            message: message.into(),
            headers: Vec::new(),
        }));
        self
    }

    /// Adds a header to the prescribed response.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        if let Some(r) = &mut self.response {
            r.headers.push((name.to_owned(), value.into()));
        }
        self
    }

    /// A runtime expression failure in `source`.
    pub fn expression(source: &str, message: &str) -> Self {
        Self::new(
            source,
            "ExpressionValueEvaluationFailure",
            format!("Expression evaluation failed. {message}"),
        )
    }
}

/// A JSON string literal.
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// APIM's error body: `{"statusCode":N,"message":"…"}`, keys in APIM's order (clients
/// compare these bodies byte for byte).
pub fn error_body(status: u16, message: &str) -> String {
    format!(
        "{{\"statusCode\":{status},\"message\":{}}}",
        quoted(message)
    )
}

/// APIM's body for failures without a defined response.
pub fn internal_error_body(activity_id: &str) -> String {
    format!(
        "{{\"statusCode\":500,\"message\":\"Internal server error\",\"activityId\":{}}}",
        quoted(activity_id)
    )
}

/// Built-in step failures that happen before any policy runs.
pub mod builtin {
    use super::PolicyError;

    /// No API or operation matched (404).
    pub fn operation_not_found() -> PolicyError {
        PolicyError::new(
            "configuration",
            "OperationNotFound",
            "Unable to match incoming request to an operation.",
        )
        .respond(404, "Resource not found")
    }

    /// No subscription key where one is required (401).
    pub fn key_not_found() -> PolicyError {
        let message = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";
        PolicyError::new("authorization", "SubscriptionKeyNotFound", message).respond(401, message)
    }

    /// A key that does not grant access (401).
    pub fn key_invalid() -> PolicyError {
        let message = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";
        PolicyError::new("authorization", "SubscriptionKeyInvalid", message).respond(401, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_apim_shaped() {
        assert_eq!(
            error_body(404, "Resource not found"),
            r#"{"statusCode":404,"message":"Resource not found"}"#
        );
        assert_eq!(
            error_body(401, "a \"b\""),
            r#"{"statusCode":401,"message":"a \"b\""}"#
        );
        assert_eq!(
            internal_error_body("x"),
            r#"{"statusCode":500,"message":"Internal server error","activityId":"x"}"#
        );
    }
}
