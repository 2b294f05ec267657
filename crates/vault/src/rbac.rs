//! Data-plane RBAC: Key Vault's built-in roles with their data actions (Azure's built-in roles
//! reference, "Security" section; research/keyvault.md §3), and the check every operation makes.
//! Assignments apply at vault scope or to one object (`keys/<name>`, `secrets/<name>`,
//! `certificates/<name>`).

use uuid::{Uuid, uuid};

/// A built-in role.
#[derive(Debug)]
pub struct Role {
    /// The role definition id (Azure's).
    pub id: Uuid,
    /// Its display name.
    pub name: &'static str,
    /// Data actions it allows; `*` matches any characters.
    pub data_actions: &'static [&'static str],
}

const P: &str = "Microsoft.KeyVault/vaults/";

/// Key Vault's data-plane roles.
pub const ROLES: &[Role] = &[
    Role {
        id: uuid!("00482a5a-887f-4fb3-b363-3b7fe8e74483"),
        name: "Key Vault Administrator",
        data_actions: &["Microsoft.KeyVault/vaults/*"],
    },
    Role {
        id: uuid!("14b46e9e-c2b7-41b4-b07b-48a6ebf60603"),
        name: "Key Vault Crypto Officer",
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/*",
            "Microsoft.KeyVault/vaults/keyrotationpolicies/*",
        ],
    },
    Role {
        id: uuid!("12338af0-0e69-4776-bea7-57ae8d297424"),
        name: "Key Vault Crypto User",
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/update/action",
            "Microsoft.KeyVault/vaults/keys/backup/action",
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
            "Microsoft.KeyVault/vaults/keys/sign/action",
            "Microsoft.KeyVault/vaults/keys/verify/action",
        ],
    },
    Role {
        id: uuid!("e147488a-f6f5-4113-8e2d-b22465e65bf6"),
        name: "Key Vault Crypto Service Encryption User",
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
        ],
    },
    Role {
        id: uuid!("08bbd89e-9f13-488c-ac41-acfcb10c90ab"),
        name: "Key Vault Crypto Service Release User",
        data_actions: &["Microsoft.KeyVault/vaults/keys/release/action"],
    },
    Role {
        id: uuid!("a4417e6f-fecd-4de8-b567-7b0420556985"),
        name: "Key Vault Certificates Officer",
        data_actions: &[
            "Microsoft.KeyVault/vaults/certificatecas/*",
            "Microsoft.KeyVault/vaults/certificates/*",
            "Microsoft.KeyVault/vaults/certificatecontacts/write",
        ],
    },
    Role {
        id: uuid!("db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"),
        name: "Key Vault Certificate User",
        data_actions: &[
            "Microsoft.KeyVault/vaults/certificates/read",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            "Microsoft.KeyVault/vaults/keys/read",
        ],
    },
    Role {
        id: uuid!("b86a8fe4-44ce-4948-aee5-eccb2c155cd7"),
        name: "Key Vault Secrets Officer",
        data_actions: &["Microsoft.KeyVault/vaults/secrets/*"],
    },
    Role {
        id: uuid!("4633458b-17de-408a-b874-0445c86b69e6"),
        name: "Key Vault Secrets User",
        data_actions: &[
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ],
    },
    Role {
        id: uuid!("21090545-7ca7-4776-b22c-e363652d74d2"),
        name: "Key Vault Reader",
        data_actions: &[
            "Microsoft.KeyVault/vaults/*/read",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ],
    },
];

/// A role by display name (case-insensitive) or definition id.
pub fn role(name_or_id: &str) -> Option<&'static Role> {
    match Uuid::parse_str(name_or_id) {
        Ok(id) => ROLES.iter().find(|r| r.id == id),
        Err(_) => ROLES
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name_or_id.trim())),
    }
}

/// The full data action for a suffix such as `keys/sign/action`.
pub fn action(suffix: &str) -> String {
    format!("{P}{suffix}")
}

/// Case-insensitive glob where `*` matches any run of characters (Azure's action wildcards).
fn matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == action;
    };
    if parts.len() == 1 {
        return pattern == action;
    }
    let Some(mut rest) = action.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether `role` allows `action`.
pub fn role_allows(role: &Role, action: &str) -> bool {
    role.data_actions.iter().any(|p| matches(p, action))
}

/// Whether an assignment at `scope` covers an operation on `object` (`keys/<name>` or none for
/// collection-level operations).
pub fn scope_covers(scope: &str, object: Option<&str>) -> bool {
    let scope = scope.trim_matches('/');
    scope.is_empty() || object.is_some_and(|o| o.eq_ignore_ascii_case(scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_roles() {
        assert!(matches("a/*/read", "a/keys/read"));
        assert!(!matches("a/*/read", "a/keys/sign/action"));
        assert!(matches("a/*", "A/KEYS/x"));
        let user = role("key vault crypto user").unwrap();
        assert!(role_allows(user, &action("keys/sign/action")));
        assert!(!role_allows(user, &action("keys/create/action")));
        let reader = role("21090545-7ca7-4776-b22c-e363652d74d2").unwrap();
        assert!(role_allows(reader, &action("keys/read")));
        assert!(role_allows(reader, &action("secrets/readMetadata/action")));
        assert!(!role_allows(reader, &action("secrets/getSecret/action")));
        let admin = role("Key Vault Administrator").unwrap();
        assert!(role_allows(admin, &action("certificates/purge/action")));
        assert!(role("Owner").is_none());
        assert!(scope_covers("", None));
        assert!(scope_covers("keys/K1", Some("keys/k1")));
        assert!(!scope_covers("keys/k1", None));
        assert!(!scope_covers("keys/k1", Some("keys/k2")));
    }
}
