//! Secrets: bundles, items, set and update bodies.

use serde::{Deserialize, Serialize};

use super::{Attributes, Tags};

/// `SecretBundle`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretBundle {
    /// The value (absent in deleted bundles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The versioned id.
    pub id: String,
    /// Content type.
    #[serde(
        rename = "contentType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<String>,
    /// Attributes.
    pub attributes: Attributes,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// A certificate's secret names its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// True for a certificate's secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
}

/// `SecretItem` (lists).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretItem {
    /// The id.
    pub id: String,
    /// Attributes.
    pub attributes: Attributes,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// Content type.
    #[serde(
        rename = "contentType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<String>,
    /// True for a certificate's secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
}

/// `PUT /secrets/{name}`.
#[derive(Debug, Clone, Deserialize)]
pub struct SecretSetParameters {
    /// The value.
    pub value: String,
    /// Tags.
    pub tags: Option<Tags>,
    /// Content type.
    #[serde(rename = "contentType")]
    pub content_type: Option<String>,
    /// Attributes.
    pub attributes: Option<Attributes>,
}

/// `PATCH /secrets/{name}/{version}`.
#[derive(Debug, Clone, Deserialize)]
pub struct SecretUpdateParameters {
    /// New content type.
    #[serde(rename = "contentType")]
    pub content_type: Option<String>,
    /// Attribute changes.
    pub attributes: Option<Attributes>,
    /// New tags (replace).
    pub tags: Option<Tags>,
}
