//! `[[vault]]` in the world file: Key Vault-compatible vaults with their RBAC role assignments
//! and seeded keys, secrets and certificates (docs/world.md). [`check`] runs when the file is
//! parsed, so a typo stops `skybridge up` before anything is written; world/vault_apply.rs
//! resolves principals and reads certificate files once the directory has been applied.

use serde::Deserialize;
use toml::Spanned;
use uuid::Uuid;

use super::{LoadedWorld, WorldError};

/// `[[vault]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vault {
    /// 3-24 letters, digits and dashes; the host is `<name>.vault.<domain>`.
    pub name: Spanned<String>,
    /// The tenant whose tokens it accepts.
    pub tenant: Spanned<String>,
    /// Soft-delete retention, 7-90 days (default 90).
    #[serde(default = "default_retention")]
    pub soft_delete_retention_days: Spanned<i64>,
    /// Refuse purges while soft-deleted objects are retained.
    #[serde(default)]
    pub purge_protection: bool,
    /// RBAC role assignments.
    #[serde(default, rename = "role_assignment")]
    pub role_assignments: Vec<VaultRoleAssignment>,
    /// Keys created when absent.
    #[serde(default, rename = "key")]
    pub keys: Vec<VaultKey>,
    /// Secrets set when absent.
    #[serde(default, rename = "secret")]
    pub secrets: Vec<VaultSecret>,
    /// Certificates created or imported when absent.
    #[serde(default, rename = "certificate")]
    pub certificates: Vec<VaultCertificate>,
    /// Azure's throttling (429 + Retry-After); off when absent.
    #[serde(default)]
    pub throttling: Option<Spanned<VaultThrottling>>,
}

/// `[vault.throttling]`: transactions per 10 seconds per class; each defaults to Azure's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultThrottling {
    /// Key creates (also certificate create and import): Azure 20.
    pub key_create: Option<u64>,
    /// Other key transactions, RSA-3072 weighing 4 and RSA-4096 8: Azure 4000.
    pub key_operations: Option<u64>,
    /// Secret sets: Azure 300.
    pub secret_create: Option<u64>,
    /// Every other transaction: Azure 4000.
    pub other: Option<u64>,
}

impl VaultThrottling {
    /// The limits, Azure's where not given.
    pub fn limits(&self) -> skybridge_vault::throttle::ThrottleLimits {
        let azure = skybridge_vault::throttle::ThrottleLimits::default();
        skybridge_vault::throttle::ThrottleLimits {
            key_create: self.key_create.unwrap_or(azure.key_create),
            key_operations: self.key_operations.unwrap_or(azure.key_operations),
            secret_create: self.secret_create.unwrap_or(azure.secret_create),
            other: self.other.unwrap_or(azure.other),
        }
    }
}

fn default_retention() -> Spanned<i64> {
    Spanned::new(0..0, 90)
}

/// `[[vault.role_assignment]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultRoleAssignment {
    /// `<tenant>/<application>`, `identity:<tenant>/<name>`, `resource:<name>` or an object id.
    pub principal: Spanned<String>,
    /// A built-in Key Vault role's name or id.
    pub role: Spanned<String>,
    /// `keys/<name>`, `secrets/<name>` or `certificates/<name>`; the whole vault when absent.
    #[serde(default)]
    pub scope: Option<Spanned<String>>,
}

/// `[[vault.key]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultKey {
    /// Name.
    pub name: Spanned<String>,
    /// `RSA` (default) or `EC`.
    #[serde(default = "rsa")]
    pub kty: Spanned<String>,
    /// RSA bits: 2048 (default), 3072, 4096.
    pub size: Option<u32>,
    /// EC curve: P-256 (default), P-384, P-521.
    pub curve: Option<String>,
    /// Permitted operations.
    pub key_ops: Option<Vec<String>>,
}

fn rsa() -> Spanned<String> {
    Spanned::new(0..0, "RSA".into())
}

/// `[[vault.secret]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSecret {
    /// Name.
    pub name: Spanned<String>,
    /// The value.
    pub value: Option<Spanned<String>>,
    /// Or the environment variable holding it.
    pub value_env: Option<Spanned<String>>,
    /// Content type.
    pub content_type: Option<String>,
}

/// `[[vault.certificate]]`: self-signed from `subject`, or imported from `file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultCertificate {
    /// Name (its key and secret get the same name).
    pub name: Spanned<String>,
    /// Subject of a self-signed certificate (`CN=partner-client`).
    pub subject: Option<String>,
    /// DNS subject alternative names.
    #[serde(default)]
    pub dns_names: Vec<String>,
    /// `RSA` (default) or `EC`.
    pub kty: Option<String>,
    /// RSA bits.
    pub size: Option<u32>,
    /// EC curve.
    pub curve: Option<String>,
    /// Whether the private key may leave the vault in the secret (default true, as Key Vault).
    pub exportable: Option<bool>,
    /// `application/x-pkcs12` (default) or `application/x-pem-file`.
    pub content_type: Option<String>,
    /// Validity in months (default 12).
    pub validity_months: Option<u32>,
    /// A PFX or PEM file (key and chain) to import, relative to the world file.
    pub file: Option<Spanned<String>>,
    /// The PFX password.
    pub password: Option<String>,
    /// Or the environment variable holding it.
    pub password_env: Option<Spanned<String>>,
}

type Result<T> = std::result::Result<T, WorldError>;

fn object_name(w: &LoadedWorld, name: &Spanned<String>) -> Result<()> {
    skybridge_vault::names::check_name(name.get_ref()).map_err(|_| {
        w.error(
            name.span(),
            format!(
                "'{}' is not a valid Key Vault object name (1-127 of 0-9, a-z, A-Z, '-')",
                name.get_ref()
            ),
        )
    })
}

pub(super) fn secret_value(w: &LoadedWorld, s: &VaultSecret) -> Result<String> {
    match (&s.value, &s.value_env) {
        (Some(v), None) => Ok(v.get_ref().clone()),
        (None, Some(var)) => std::env::var(var.get_ref()).map_err(|_| {
            w.error(
                var.span(),
                format!("environment variable '{}' is not set", var.get_ref()),
            )
        }),
        _ => Err(w.error(s.name.span(), "give exactly one of 'value' and 'value_env'")),
    }
}

/// Checks every `[[vault]]` against the rest of the file.
pub fn check(w: &LoadedWorld) -> Result<()> {
    let world = &w.world;
    let mut names: Vec<String> = Vec::new();
    for v in &world.vaults {
        let name = v.name.get_ref().to_ascii_lowercase();
        if !skybridge_vault::names::is_valid_vault_name(&name) {
            return Err(w.error(v.name.span(), format!("vault name '{}' must be 3-24 letters, digits and dashes, start with a letter and end with a letter or digit", v.name.get_ref())));
        }
        if names.contains(&name) {
            return Err(w.error(v.name.span(), format!("vault '{name}' is declared twice")));
        }
        names.push(name);
        if !world
            .tenants
            .iter()
            .any(|t| t.name.get_ref() == v.tenant.get_ref())
        {
            return Err(w.error(
                v.tenant.span(),
                format!("unknown tenant '{}'", v.tenant.get_ref()),
            ));
        }
        if let Some(t) = &v.throttling {
            let l = t.get_ref().limits();
            if [l.key_create, l.key_operations, l.secret_create, l.other].contains(&0) {
                return Err(w.error(t.span(), "throttling limits must be at least 1"));
            }
        }
        if !(7..=90).contains(v.soft_delete_retention_days.get_ref()) {
            return Err(w.error(
                v.soft_delete_retention_days.span(),
                "soft_delete_retention_days must be between 7 and 90",
            ));
        }
        for a in &v.role_assignments {
            if skybridge_vault::rbac::role(a.role.get_ref()).is_none() {
                let known: Vec<_> = skybridge_vault::rbac::ROLES
                    .iter()
                    .map(|r| r.name)
                    .collect();
                return Err(w.error(
                    a.role.span(),
                    format!(
                        "unknown Key Vault role '{}' (known: {})",
                        a.role.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
            if let Some(scope) = &a.scope {
                let ok = scope
                    .get_ref()
                    .split_once('/')
                    .is_some_and(|(kind, object)| {
                        matches!(kind, "keys" | "secrets" | "certificates")
                            && skybridge_vault::names::check_name(object).is_ok()
                    });
                if !ok {
                    return Err(w.error(
                        scope.span(),
                        "scope must be keys/<name>, secrets/<name> or certificates/<name>",
                    ));
                }
            }
            check_principal(w, &a.principal)?;
        }
        for k in &v.keys {
            object_name(w, &k.name)?;
            skybridge_vault::crypto::requested_kind(k.kty.get_ref(), k.size, k.curve.as_deref())
                .map_err(|e| w.error(k.kty.span(), e.to_string()))?;
        }
        for s in &v.secrets {
            object_name(w, &s.name)?;
            secret_value(w, s)?;
        }
        for c in &v.certificates {
            object_name(w, &c.name)?;
            if c.subject.is_some() == c.file.is_some() {
                return Err(w.error(
                    c.name.span(),
                    "give exactly one of 'subject' (self-signed) and 'file' (import)",
                ));
            }
            if let Some(var) = &c.password_env
                && std::env::var(var.get_ref()).is_err()
            {
                return Err(w.error(
                    var.span(),
                    format!("environment variable '{}' is not set", var.get_ref()),
                ));
            }
        }
    }
    Ok(())
}

fn check_principal(w: &LoadedWorld, p: &Spanned<String>) -> Result<()> {
    let text = p.get_ref();
    let world = &w.world;
    if Uuid::parse_str(text).is_ok() {
        return Ok(());
    }
    let found = if let Some(rest) = text.strip_prefix("identity:") {
        world
            .managed_identities
            .iter()
            .any(|m| format!("{}/{}", m.tenant.get_ref(), m.name.get_ref()) == rest)
    } else if let Some(rest) = text.strip_prefix("resource:") {
        world.resources.iter().any(|r| r.name.get_ref() == rest)
    } else {
        world
            .applications
            .iter()
            .any(|a| format!("{}/{}", a.tenant.get_ref(), a.name.get_ref()) == *text)
    };
    if found {
        Ok(())
    } else {
        Err(w.error(p.span(), format!("unknown principal '{text}' (write <tenant>/<application>, identity:<tenant>/<name>, resource:<name> or an object id)")))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const BASE: &str = "version = 1\n[[tenant]]\nname = \"home\"\n[[application]]\ntenant = \"home\"\nname = \"app\"\n";

    fn parse(extra: &str) -> std::result::Result<LoadedWorld, WorldError> {
        LoadedWorld::parse(PathBuf::from("w.toml"), format!("{BASE}{extra}"))
    }

    #[test]
    fn a_full_vault_parses() {
        let w = parse(
            "[[vault]]\nname = \"home-kv\"\ntenant = \"home\"\nsoft_delete_retention_days = 7\npurge_protection = true\n\
             [[vault.role_assignment]]\nprincipal = \"home/app\"\nrole = \"Key Vault Crypto User\"\nscope = \"keys/k\"\n\
             [[vault.role_assignment]]\nprincipal = \"3f1d7a6e-1c0b-4f5e-9a43-0d9b8e2c6a71\"\nrole = \"21090545-7ca7-4776-b22c-e363652d74d2\"\n\
             [[vault.key]]\nname = \"k\"\nkty = \"EC\"\ncurve = \"P-384\"\n\
             [[vault.secret]]\nname = \"s\"\nvalue = \"v\"\n\
             [[vault.certificate]]\nname = \"c\"\nsubject = \"CN=c\"\nexportable = false\n\
             [vault.throttling]\nsecret_create = 2\n",
        )
        .unwrap();
        assert_eq!(w.world.vaults.len(), 1);
        assert_eq!(*w.world.vaults[0].soft_delete_retention_days.get_ref(), 7);
        let limits = w.world.vaults[0]
            .throttling
            .as_ref()
            .unwrap()
            .get_ref()
            .limits();
        assert_eq!((limits.secret_create, limits.key_create), (2, 20));
    }

    #[test]
    fn mistakes_are_located() {
        let v = "[[vault]]\nname = \"home-kv\"\ntenant = \"home\"\n";
        let cases = [
            ("[[vault]]\nname = \"kv\"\ntenant = \"home\"\n", 8, "3-24"),
            (
                "[[vault]]\nname = \"home-kv\"\ntenant = \"nope\"\n",
                9,
                "unknown tenant",
            ),
            (
                &format!("{v}soft_delete_retention_days = 3\n"),
                10,
                "between 7 and 90",
            ),
            (
                &format!("{v}[vault.throttling]\nother = 0\n"),
                10,
                "at least 1",
            ),
            (
                &format!(
                    "{v}[[vault.role_assignment]]\nprincipal = \"home/app\"\nrole = \"Owner\"\n"
                ),
                12,
                "unknown Key Vault role",
            ),
            (
                &format!(
                    "{v}[[vault.role_assignment]]\nprincipal = \"home/ghost\"\nrole = \"Key Vault Reader\"\n"
                ),
                11,
                "unknown principal",
            ),
            (
                &format!(
                    "{v}[[vault.role_assignment]]\nprincipal = \"home/app\"\nrole = \"Key Vault Reader\"\nscope = \"vaults/x\"\n"
                ),
                13,
                "scope must be",
            ),
            (
                &format!("{v}[[vault.key]]\nname = \"bad_name\"\n"),
                11,
                "not a valid Key Vault object name",
            ),
            (
                &format!("{v}[[vault.secret]]\nname = \"s\"\n"),
                11,
                "exactly one of 'value'",
            ),
            (
                &format!("{v}[[vault.certificate]]\nname = \"c\"\n"),
                11,
                "exactly one of 'subject'",
            ),
        ];
        for (extra, line, message) in cases {
            let err = parse(extra).err().unwrap();
            assert_eq!(err.line, line, "{err}");
            assert!(err.message.contains(message), "{err}");
        }
    }
}
