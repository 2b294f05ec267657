//! Gateway configuration: plain serde types the binary's world file embeds.
//!
//! ```toml
//! name = "partner"
//! [[apis]]
//! name = "orders"
//! path = "orders"
//! service_url = "http://127.0.0.1:9000/api"
//! operations = ["GET /orders/{id}", { name = "create", method = "POST", url_template = "/orders" }]
//! [policies]
//! global = "policies/global.xml"            # a file, relative to the base directory
//! apis = { orders = "<policies>…</policies>" } # or inline XML
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

fn yes() -> bool {
    true
}

/// One gateway (`<gateway>.azure-api.<domain>`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Service name (the host label).
    pub name: String,
    /// The tenant the gateway belongs to (informational; `validate-azure-ad-token` takes its
    /// own `tenant-id`).
    #[serde(default)]
    pub tenant: Option<String>,
    /// `context.Deployment.Region`.
    #[serde(default)]
    pub region: Option<String>,
    /// Base URL of the Entra authority for `validate-azure-ad-token`
    /// (default `https://login.microsoftonline.com`).
    #[serde(default)]
    pub authority_url: Option<String>,
    /// Remove the subscription key header and query parameter before forwarding.
    #[serde(default)]
    pub strip_subscription_key: bool,
    /// Largest request body accepted, bytes (default 16 MiB).
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
    /// APIs.
    #[serde(default)]
    pub apis: Vec<ApiConfig>,
    /// Products.
    #[serde(default)]
    pub products: Vec<ProductConfig>,
    /// Subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionConfig>,
    /// Named values (`{{name}}`).
    #[serde(default)]
    pub named_values: Vec<NamedValueConfig>,
    /// Backends for `set-backend-service backend-id`.
    #[serde(default)]
    pub backends: Vec<BackendConfig>,
    /// Policy documents by scope.
    #[serde(default)]
    pub policies: PoliciesConfig,
    /// Policy fragments by id.
    #[serde(default)]
    pub fragments: BTreeMap<String, PolicySource>,
}

/// An API.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Id, unique in the gateway.
    pub name: String,
    /// Display name (`context.Api.Name`; defaults to the id).
    #[serde(default)]
    pub display_name: Option<String>,
    /// URL suffix after the host (`orders` → `https://host/orders/…`); may be empty.
    #[serde(default)]
    pub path: String,
    /// Backend base URL.
    #[serde(default)]
    pub service_url: Option<String>,
    /// Whether calls need a subscription key (default true).
    #[serde(default = "yes")]
    pub subscription_required: bool,
    /// Header carrying the key (default `Ocp-Apim-Subscription-Key`).
    #[serde(default)]
    pub subscription_key_header: Option<String>,
    /// Query parameter carrying the key (default `subscription-key`).
    #[serde(default)]
    pub subscription_key_query: Option<String>,
    /// `context.Api.Version`.
    #[serde(default)]
    pub version: Option<String>,
    /// `context.Api.Revision` (default `1`).
    #[serde(default)]
    pub revision: Option<String>,
    /// Operations.
    #[serde(default)]
    pub operations: Vec<OperationConfig>,
}

/// An operation: `"GET /orders/{id}"` or a table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OperationConfig {
    /// `"METHOD /template"`; the id is derived (`get-orders-id`).
    Short(String),
    /// A full definition.
    Full(OperationSpec),
}

/// A full operation definition.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    /// Id, unique in the API.
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Method, or `*` for any.
    pub method: String,
    /// URL template: `/orders/{id}`, `/search?q={q}`, `/files/{*path}`.
    pub url_template: String,
}

impl OperationConfig {
    /// (id, display name, method, template).
    pub fn parts(&self) -> Option<(String, String, String, String)> {
        match self {
            OperationConfig::Short(s) => {
                let (method, template) = s.trim().split_once(char::is_whitespace)?;
                let template = template.trim();
                let slug: String = format!("{method}-{template}")
                    .to_ascii_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                let id = slug
                    .split('-')
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join("-");
                Some((
                    id.clone(),
                    id,
                    method.to_ascii_uppercase(),
                    template.to_owned(),
                ))
            }
            OperationConfig::Full(o) => Some((
                o.name.clone(),
                o.display_name.clone().unwrap_or_else(|| o.name.clone()),
                o.method.to_ascii_uppercase(),
                o.url_template.clone(),
            )),
        }
    }
}

/// A product.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProductConfig {
    /// Id.
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The APIs it contains.
    #[serde(default)]
    pub apis: Vec<String>,
    /// Whether calls need a key (default true); an open product admits keyless calls.
    #[serde(default = "yes")]
    pub subscription_required: bool,
}

/// A subscription.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionConfig {
    /// Id.
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `all` (all APIs), `product:<id>` or `api:<id>`.
    pub scope: String,
    /// Primary key.
    pub primary_key: String,
    /// Secondary key.
    pub secondary_key: String,
    /// `active` (default), `suspended`, `cancelled`, `expired`, `submitted`, `rejected`.
    #[serde(default)]
    pub state: Option<String>,
    /// The owner (`context.User`).
    #[serde(default)]
    pub owner: Option<UserConfig>,
}

/// A user.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Id.
    pub id: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
}

/// A named value.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NamedValueConfig {
    /// Name (letters, digits, `.`, `-`, `_`).
    pub name: String,
    /// Value.
    pub value: String,
    /// Secret values are never printed.
    #[serde(default)]
    pub secret: bool,
}

impl std::fmt::Debug for NamedValueConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value: &dyn std::fmt::Debug = if self.secret {
            &"<secret>"
        } else {
            &self.value
        };
        f.debug_struct("NamedValueConfig")
            .field("name", &self.name)
            .field("value", value)
            .field("secret", &self.secret)
            .finish()
    }
}

/// A backend entity.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    /// Id (`backend-id`).
    pub name: String,
    /// Base URL.
    pub url: String,
}

/// Policy documents by scope.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PoliciesConfig {
    /// Global scope.
    #[serde(default)]
    pub global: Option<PolicySource>,
    /// By product id.
    #[serde(default)]
    pub products: BTreeMap<String, PolicySource>,
    /// By API id.
    #[serde(default)]
    pub apis: BTreeMap<String, PolicySource>,
    /// By `api-id/operation-id`.
    #[serde(default)]
    pub operations: BTreeMap<String, PolicySource>,
}

/// Where a policy document comes from: a string is inline XML when it starts with `<`,
/// else a file path; or an explicit `{ file = "…" }` / `{ xml = "…" }`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum PolicySource {
    /// Path or inline XML.
    Text(String),
    /// A file (relative paths resolve against the base directory).
    File {
        /// Path.
        file: PathBuf,
    },
    /// Inline XML.
    Xml {
        /// The document.
        xml: String,
    },
}

impl PolicySource {
    /// The file behind this source, if it is one.
    pub fn file(&self) -> Option<PathBuf> {
        match self {
            PolicySource::Text(t) if !t.trim_start().starts_with('<') => {
                Some(PathBuf::from(t.trim()))
            }
            PolicySource::File { file } => Some(file.clone()),
            _ => None,
        }
    }

    /// The inline XML, if it is that.
    pub fn inline(&self) -> Option<&str> {
        match self {
            PolicySource::Text(t) if t.trim_start().starts_with('<') => Some(t),
            PolicySource::Xml { xml } => Some(xml),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_and_sources() {
        let op = OperationConfig::Short("get /orders/{id}".into());
        assert_eq!(
            op.parts().unwrap(),
            (
                "get-orders-id".into(),
                "get-orders-id".into(),
                "GET".into(),
                "/orders/{id}".into()
            )
        );
        assert!(OperationConfig::Short("nospace".into()).parts().is_none());
        assert_eq!(
            PolicySource::Text("a/b.xml".into()).file(),
            Some(PathBuf::from("a/b.xml"))
        );
        assert_eq!(
            PolicySource::Text(" <policies/>".into()).inline(),
            Some(" <policies/>")
        );
        let nv = NamedValueConfig {
            name: "k".into(),
            value: "hunter2".into(),
            secret: true,
        };
        assert!(!format!("{nv:?}").contains("hunter2"));
    }

    #[test]
    fn deserializes_from_json() {
        let c: GatewayConfig = serde_json::from_value(serde_json::json!({
            "name": "g",
            "apis": [{"name": "a", "path": "a", "operations": ["GET /x", {"name": "y", "method": "post", "url_template": "/y"}]}],
            "policies": {"global": {"file": "g.xml"}, "apis": {"a": "<policies/>"}},
        }))
        .unwrap();
        assert!(c.apis[0].subscription_required);
        assert_eq!(c.apis[0].operations.len(), 2);
        assert!(
            serde_json::from_value::<GatewayConfig>(serde_json::json!({"name": "g", "bogus": 1}))
                .is_err()
        );
    }
}
