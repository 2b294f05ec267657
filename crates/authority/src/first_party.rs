//! Microsoft's first-party applications that exist in every tenant, so that any client or
//! managed identity can ask for a token for them: Key Vault, Azure Resource Manager and the
//! token-exchange audience used by federated credentials. App ids are Azure's real ones, so
//! tokens carry the `aud`/`appid` values validators expect. Their home is the Microsoft
//! Services tenant (also Azure's real id).

use uuid::{Uuid, uuid};

use crate::AuthorityConfig;

/// The Microsoft Services tenant, home of first-party applications.
pub const MICROSOFT_SERVICES_TENANT: Uuid = uuid!("f8cdef31-a31e-4b4a-93e4-5f571e91255a");
/// Its name here: a `.` keeps it apart from world-file tenant names.
pub const MICROSOFT_SERVICES_NAME: &str = "microsoft.services";

/// Azure Key Vault's application id.
pub const KEY_VAULT_APP_ID: Uuid = uuid!("cfa8b339-82a2-471a-a3c9-0fc0be7a4093");
/// Azure Resource Manager's application id (Windows Azure Service Management API).
pub const ARM_APP_ID: Uuid = uuid!("797f4846-ba00-4fd7-ba43-dac1f8f63013");
/// The "AAD Token Exchange Endpoint" application: the audience `api://AzureADTokenExchange`.
pub const TOKEN_EXCHANGE_APP_ID: Uuid = uuid!("fb60f99c-7a34-4190-8149-302f77469936");

/// A first-party application as the authority registers it.
pub struct FirstPartyApp {
    /// Its name in the Microsoft Services tenant.
    pub name: &'static str,
    /// Its application id.
    pub app_id: Uuid,
    /// Identifier URIs that name it in scopes and `resource=`.
    pub identifier_uris: Vec<String>,
    /// Token version it accepts.
    pub version: u8,
}

/// The first-party applications, with the local Key Vault resource of this deployment (the
/// vault's challenge names it; Key Vault SDKs require it to be a suffix of the vault's host).
pub fn first_party_apps(config: &AuthorityConfig) -> Vec<FirstPartyApp> {
    let mut vault_uris = vec!["https://vault.azure.net".to_string()];
    if let Some(local) = &config.local_vault_resource {
        vault_uris.push(local.clone());
    }
    vec![
        FirstPartyApp {
            name: "Azure Key Vault",
            app_id: KEY_VAULT_APP_ID,
            identifier_uris: vault_uris,
            version: 1,
        },
        FirstPartyApp {
            name: "Windows Azure Service Management API",
            app_id: ARM_APP_ID,
            identifier_uris: vec![
                "https://management.azure.com/".into(),
                "https://management.core.windows.net/".into(),
            ],
            version: 1,
        },
        // Managed-identity tokens for this audience are v2 with `aud` = the app id
        // (research/identity.md §1.8).
        FirstPartyApp {
            name: "AAD Token Exchange Endpoint",
            app_id: TOKEN_EXCHANGE_APP_ID,
            identifier_uris: vec!["api://AzureADTokenExchange".into()],
            version: 2,
        },
    ]
}
