//! Policy failures and APIM's wire error bodies.
//!
//! A failing policy produces a [`PolicyError`]: the `context.LastError` fields plus, for
//! policies that define one, the response APIM sends (`{ "statusCode": N, "message": "…" }`).
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
    /// A reason phrase other than the status code's canonical one.
    pub reason: Option<String>,
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
            reason: None,
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

    /// Sets the prescribed response's reason phrase.
    pub fn reason_phrase(mut self, reason: &str) -> Self {
        if let Some(r) = &mut self.response {
            r.reason = Some(reason.to_owned());
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

/// APIM's error body, byte for byte: `{ "statusCode": N, "message": "…" }` (spaces inside
/// the braces and after each colon and comma; clients compare these bodies and lengths).
/// Wire captures: Microsoft's Partner Center docs show the 429 body with `Content-Length: 84`
/// (`{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds." }`),
/// and a captured 401 for a missing key has `Content-Length: 152`, both matching this form.
pub fn error_body(status: u16, message: &str) -> String {
    format!(
        "{{ \"statusCode\": {status}, \"message\": {} }}",
        quoted(message)
    )
}

/// APIM's body for failures without a defined response (as captured on the wire:
/// `{ "statusCode": 500, "message": "Internal server error", "activityId": "<guid>" }`).
pub fn internal_error_body(activity_id: &str) -> String {
    format!(
        "{{ \"statusCode\": 500, \"message\": \"Internal server error\", \"activityId\": {} }}",
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

    /// Adds what APIM sends with both subscription-key 401s: the status line
    /// `401 Access Denied` and a challenge naming the API's key header, e.g.
    /// `WWW-Authenticate: AzureApiManagementKey realm="https://apim-cfm-demo.azure-api.net/mock",name="Ocp-Apim-Subscription-Key",type="header"`
    /// (captured responses of live APIM instances, 2021 and later). `realm` is the API's public
    /// base URL.
    pub fn key_challenge(e: PolicyError, realm: &str, header_name: &str) -> PolicyError {
        e.header(
            "WWW-Authenticate",
            format!(
                "AzureApiManagementKey realm=\"{realm}\",name=\"{header_name}\",type=\"header\""
            ),
        )
        .reason_phrase("Access Denied")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_apim_shaped() {
        assert_eq!(
            error_body(404, "Resource not found"),
            r#"{ "statusCode": 404, "message": "Resource not found" }"#
        );
        assert_eq!(
            error_body(401, "a \"b\""),
            r#"{ "statusCode": 401, "message": "a \"b\"" }"#
        );
        assert_eq!(
            internal_error_body("x"),
            r#"{ "statusCode": 500, "message": "Internal server error", "activityId": "x" }"#
        );
    }
}
