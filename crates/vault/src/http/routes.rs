//! Request paths to operations. Paths are matched segment by segment after dropping empty
//! segments, so the forms the SDKs send all land: `/keys/k/` (Python `get_key`), `/keys/k//sign`
//! (a CryptographyClient without a version), `certificates//restore` (an old .NET SDK). Literal
//! segments (`versions`, `backup`, `create`, `policy`, …) win over names.

use crate::error::ObjectKind;
use crate::service::KeyOperation;
use crate::throttle::ThrottleClass;

/// One data-plane operation with the names it addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /keys/{n}/create`.
    KeyCreate(String),
    /// `PUT /keys/{n}`.
    KeyImport(String),
    /// `GET /keys/{n}/{v?}`.
    KeyGet(String, Option<String>),
    /// `PATCH /keys/{n}/{v?}`.
    KeyUpdate(String, Option<String>),
    /// `GET /keys`.
    KeyList,
    /// `GET /keys/{n}/versions`.
    KeyVersions(String),
    /// `POST /keys/{n}/rotate`.
    KeyRotate(String),
    /// `POST /keys/{n}/{v?}/{encrypt|decrypt|sign|wrapkey|unwrapkey}`.
    KeyOp(String, Option<String>, KeyOperation),
    /// `POST /keys/{n}/{v?}/verify`.
    KeyVerify(String, Option<String>),
    /// `POST /rng`.
    Rng,
    /// `PUT /secrets/{n}`.
    SecretSet(String),
    /// `GET /secrets/{n}/{v?}`.
    SecretGet(String, Option<String>),
    /// `PATCH /secrets/{n}/{v?}`.
    SecretUpdate(String, Option<String>),
    /// `GET /secrets`.
    SecretList,
    /// `GET /secrets/{n}/versions`.
    SecretVersions(String),
    /// `POST /certificates/{n}/create`.
    CertCreate(String),
    /// `POST /certificates/{n}/import`.
    CertImport(String),
    /// `GET /certificates/{n}/{v?}`.
    CertGet(String, Option<String>),
    /// `PATCH /certificates/{n}/{v?}`.
    CertUpdate(String, Option<String>),
    /// `GET /certificates`.
    CertList,
    /// `GET /certificates/{n}/versions`.
    CertVersions(String),
    /// `GET /certificates/{n}/policy`.
    CertPolicyGet(String),
    /// `PATCH /certificates/{n}/policy`.
    CertPolicyUpdate(String),
    /// `GET|PATCH|DELETE /certificates/{n}/pending`.
    CertPending(String, PendingVerb),
    /// `DELETE /{kind}s/{n}`.
    Delete(ObjectKind, String),
    /// `POST /{kind}s/{n}/backup`.
    Backup(ObjectKind, String),
    /// `POST /{kind}s/restore`.
    Restore(ObjectKind),
    /// `GET /deleted{kind}s/{n}`.
    DeletedGet(ObjectKind, String),
    /// `GET /deleted{kind}s`.
    DeletedList(ObjectKind),
    /// `POST /deleted{kind}s/{n}/recover`.
    Recover(ObjectKind, String),
    /// `DELETE /deleted{kind}s/{n}`.
    Purge(ObjectKind, String),
    /// `POST /certificates/{n}/pending/merge`.
    CertMerge(String),
    /// `PUT /certificates/issuers/{i}`.
    IssuerSet(String),
    /// `PATCH /certificates/issuers/{i}`.
    IssuerUpdate(String),
    /// `GET /certificates/issuers/{i}`.
    IssuerGet(String),
    /// `DELETE /certificates/issuers/{i}`.
    IssuerDelete(String),
    /// `GET /certificates/issuers`.
    IssuerList,
    /// `PUT|GET|DELETE /certificates/contacts`.
    Contacts(ContactsVerb),
}

/// What was asked of the certificate contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactsVerb {
    /// Replace them.
    Set,
    /// Read them.
    Get,
    /// Delete them.
    Delete,
}

/// What was asked of a pending certificate operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingVerb {
    /// Read it.
    Get,
    /// Cancel it.
    Update,
    /// Delete it.
    Delete,
}

const LITERALS: [&str; 14] = [
    "versions",
    "restore",
    "create",
    "import",
    "backup",
    "pending",
    "policy",
    "rotate",
    "rotationpolicy",
    "contacts",
    "issuers",
    "recover",
    "release",
    "attestation",
];

fn key_op(segment: &str) -> Option<KeyOperation> {
    match segment.to_ascii_lowercase().as_str() {
        "encrypt" => Some(KeyOperation::Encrypt),
        "decrypt" => Some(KeyOperation::Decrypt),
        "sign" => Some(KeyOperation::Sign),
        "wrapkey" => Some(KeyOperation::WrapKey),
        "unwrapkey" => Some(KeyOperation::UnwrapKey),
        _ => None,
    }
}

fn is_literal(s: &str) -> bool {
    LITERALS.iter().any(|l| l.eq_ignore_ascii_case(s))
        || key_op(s).is_some()
        || s.eq_ignore_ascii_case("verify")
}

fn collection(s: &str) -> Option<(ObjectKind, bool)> {
    match s.to_ascii_lowercase().as_str() {
        "keys" => Some((ObjectKind::Key, false)),
        "secrets" => Some((ObjectKind::Secret, false)),
        "certificates" => Some((ObjectKind::Certificate, false)),
        "deletedkeys" => Some((ObjectKind::Key, true)),
        "deletedsecrets" => Some((ObjectKind::Secret, true)),
        "deletedcertificates" => Some((ObjectKind::Certificate, true)),
        _ => None,
    }
}

/// The route for a method and path, if any.
pub fn route(method: &str, path: &str) -> Option<Route> {
    use ObjectKind::*;
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let own = |s: &str| s.to_string();
    let lit = |s: &str, l: &str| s.eq_ignore_ascii_case(l);
    if let [one] = segs.as_slice()
        && lit(one, "rng")
    {
        return (method == "POST").then_some(Route::Rng);
    }
    let (first, rest) = segs.split_first()?;
    let (kind, deleted) = collection(first)?;
    if deleted {
        return match (method, rest) {
            ("GET", []) => Some(Route::DeletedList(kind)),
            ("GET", [n]) => Some(Route::DeletedGet(kind, own(n))),
            ("DELETE", [n]) => Some(Route::Purge(kind, own(n))),
            ("POST", [n, r]) if lit(r, "recover") => Some(Route::Recover(kind, own(n))),
            _ => None,
        };
    }
    if kind == Certificate {
        match (method, rest) {
            ("PUT", [c]) if lit(c, "contacts") => return Some(Route::Contacts(ContactsVerb::Set)),
            ("GET", [c]) if lit(c, "contacts") => return Some(Route::Contacts(ContactsVerb::Get)),
            ("DELETE", [c]) if lit(c, "contacts") => {
                return Some(Route::Contacts(ContactsVerb::Delete));
            }
            ("GET", [i]) if lit(i, "issuers") => return Some(Route::IssuerList),
            (m, [i, n]) if lit(i, "issuers") => {
                return match m {
                    "PUT" => Some(Route::IssuerSet(own(n))),
                    "PATCH" => Some(Route::IssuerUpdate(own(n))),
                    "GET" => Some(Route::IssuerGet(own(n))),
                    "DELETE" => Some(Route::IssuerDelete(own(n))),
                    _ => None,
                };
            }
            (_, [first, ..]) if lit(first, "contacts") || lit(first, "issuers") => return None,
            _ => {}
        }
    }
    let versioned = |v: &str| (!is_literal(v)).then(|| v.to_string());
    match (method, kind, rest) {
        ("GET", Key, []) => Some(Route::KeyList),
        ("GET", Secret, []) => Some(Route::SecretList),
        ("GET", Certificate, []) => Some(Route::CertList),
        ("POST", _, [r]) if lit(r, "restore") => Some(Route::Restore(kind)),
        (_, _, [n]) if is_literal(n) => None,
        ("DELETE", _, [n]) => Some(Route::Delete(kind, own(n))),
        ("POST", _, [n, b]) if lit(b, "backup") => Some(Route::Backup(kind, own(n))),
        ("PUT", Key, [n]) => Some(Route::KeyImport(own(n))),
        ("PUT", Secret, [n]) => Some(Route::SecretSet(own(n))),
        ("GET", Key, [n]) => Some(Route::KeyGet(own(n), None)),
        ("GET", Secret, [n]) => Some(Route::SecretGet(own(n), None)),
        ("GET", Certificate, [n]) => Some(Route::CertGet(own(n), None)),
        ("PATCH", Key, [n]) => Some(Route::KeyUpdate(own(n), None)),
        ("PATCH", Secret, [n]) => Some(Route::SecretUpdate(own(n), None)),
        ("PATCH", Certificate, [n]) => Some(Route::CertUpdate(own(n), None)),
        ("GET", _, [n, v]) if lit(v, "versions") => Some(match kind {
            Key => Route::KeyVersions(own(n)),
            Secret => Route::SecretVersions(own(n)),
            Certificate => Route::CertVersions(own(n)),
        }),
        ("POST", Key, [n, c]) if lit(c, "create") => Some(Route::KeyCreate(own(n))),
        ("POST", Key, [n, c]) if lit(c, "rotate") => Some(Route::KeyRotate(own(n))),
        ("POST", Key, [n, op]) if key_op(op).is_some() => {
            key_op(op).map(|o| Route::KeyOp(own(n), None, o))
        }
        ("POST", Key, [n, op]) if lit(op, "verify") => Some(Route::KeyVerify(own(n), None)),
        ("POST", Key, [n, v, op]) if key_op(op).is_some() && versioned(v).is_some() => {
            key_op(op).map(|o| Route::KeyOp(own(n), versioned(v), o))
        }
        ("POST", Key, [n, v, op]) if lit(op, "verify") && versioned(v).is_some() => {
            Some(Route::KeyVerify(own(n), versioned(v)))
        }
        ("POST", Certificate, [n, c]) if lit(c, "create") => Some(Route::CertCreate(own(n))),
        ("POST", Certificate, [n, c]) if lit(c, "import") => Some(Route::CertImport(own(n))),
        ("GET", Certificate, [n, p]) if lit(p, "policy") => Some(Route::CertPolicyGet(own(n))),
        ("PATCH", Certificate, [n, p]) if lit(p, "policy") => Some(Route::CertPolicyUpdate(own(n))),
        (m, Certificate, [n, p]) if lit(p, "pending") => {
            let verb = match m {
                "GET" => PendingVerb::Get,
                "PATCH" => PendingVerb::Update,
                "DELETE" => PendingVerb::Delete,
                _ => return None,
            };
            Some(Route::CertPending(own(n), verb))
        }
        ("POST", Certificate, [n, p, m]) if lit(p, "pending") && lit(m, "merge") => {
            Some(Route::CertMerge(own(n)))
        }
        ("GET", _, [n, v]) => versioned(v).map(|v| match kind {
            Key => Route::KeyGet(own(n), Some(v)),
            Secret => Route::SecretGet(own(n), Some(v)),
            Certificate => Route::CertGet(own(n), Some(v)),
        }),
        ("PATCH", _, [n, v]) => versioned(v).map(|v| match kind {
            Key => Route::KeyUpdate(own(n), Some(v)),
            Secret => Route::SecretUpdate(own(n), Some(v)),
            Certificate => Route::CertUpdate(own(n), Some(v)),
        }),
        _ => None,
    }
}

impl Route {
    /// The RBAC data action (suffix after `Microsoft.KeyVault/vaults/`) and the object it
    /// touches, for per-object assignments (research/keyvault.md §3).
    pub fn action(&self) -> (String, Option<String>) {
        use ObjectKind::*;
        let obj = |k: ObjectKind, n: &str| Some(format!("{}/{n}", k.collection()));
        match self {
            Route::KeyCreate(n) => ("keys/create/action".into(), obj(Key, n)),
            Route::KeyImport(n) => ("keys/import/action".into(), obj(Key, n)),
            Route::KeyGet(n, _) | Route::KeyVersions(n) => ("keys/read".into(), obj(Key, n)),
            Route::KeyUpdate(n, _) => ("keys/update/action".into(), obj(Key, n)),
            Route::KeyList => ("keys/read".into(), None),
            Route::KeyRotate(n) => ("keys/rotate/action".into(), obj(Key, n)),
            Route::KeyOp(n, _, op) => {
                let a = match op {
                    KeyOperation::Encrypt => "encrypt",
                    KeyOperation::Decrypt => "decrypt",
                    KeyOperation::Sign => "sign",
                    KeyOperation::WrapKey => "wrap",
                    KeyOperation::UnwrapKey => "unwrap",
                };
                (format!("keys/{a}/action"), obj(Key, n))
            }
            Route::KeyVerify(n, _) => ("keys/verify/action".into(), obj(Key, n)),
            Route::Rng => ("rng/action".into(), None),
            Route::SecretSet(n) => ("secrets/setSecret/action".into(), obj(Secret, n)),
            Route::SecretGet(n, _) => ("secrets/getSecret/action".into(), obj(Secret, n)),
            Route::SecretUpdate(n, _) => ("secrets/update/action".into(), obj(Secret, n)),
            Route::SecretList => ("secrets/readMetadata/action".into(), None),
            Route::SecretVersions(n) => ("secrets/readMetadata/action".into(), obj(Secret, n)),
            Route::CertCreate(n) => ("certificates/create/action".into(), obj(Certificate, n)),
            Route::CertImport(n) => ("certificates/import/action".into(), obj(Certificate, n)),
            Route::CertGet(n, _) | Route::CertVersions(n) | Route::CertPolicyGet(n) => {
                ("certificates/read".into(), obj(Certificate, n))
            }
            Route::CertUpdate(n, _) | Route::CertPolicyUpdate(n) => {
                ("certificates/update/action".into(), obj(Certificate, n))
            }
            Route::CertList => ("certificates/read".into(), None),
            Route::CertPending(n, verb) => {
                let a = match verb {
                    PendingVerb::Get => "certificates/read",
                    PendingVerb::Update => "certificates/update/action",
                    PendingVerb::Delete => "certificates/delete",
                };
                (a.into(), obj(Certificate, n))
            }
            Route::Delete(k, n) => (format!("{}/delete", k.collection()), obj(*k, n)),
            Route::Backup(k, n) => (format!("{}/backup/action", k.collection()), obj(*k, n)),
            Route::Restore(k) => (format!("{}/restore/action", k.collection()), None),
            Route::DeletedGet(k, n) => (read_metadata(*k), obj(*k, n)),
            Route::DeletedList(k) => (read_metadata(*k), None),
            Route::Recover(k, n) => (format!("{}/recover/action", k.collection()), obj(*k, n)),
            Route::Purge(k, n) => (format!("{}/purge/action", k.collection()), obj(*k, n)),
            Route::CertMerge(n) => ("certificates/create/action".into(), obj(Certificate, n)),
            Route::IssuerGet(_) | Route::IssuerList => ("certificatecas/read".into(), None),
            Route::IssuerSet(_) | Route::IssuerUpdate(_) => ("certificatecas/write".into(), None),
            Route::IssuerDelete(_) => ("certificatecas/delete".into(), None),
            // Key Vault has one data action for contacts, for reading them too (the access
            // policy permission `managecontacts` covers get, set and delete alike).
            Route::Contacts(_) => ("certificatecontacts/write".into(), None),
        }
    }
}

impl Route {
    /// How throttling counts this request, and the key whose size weighs it
    /// (crate::throttle).
    pub fn throttle_class(&self) -> (ThrottleClass, Option<(&str, Option<&str>)>) {
        match self {
            Route::KeyCreate(_)
            | Route::KeyImport(_)
            | Route::KeyRotate(_)
            | Route::CertCreate(_)
            | Route::CertImport(_) => (ThrottleClass::KeyCreate, None),
            Route::KeyGet(n, v)
            | Route::KeyUpdate(n, v)
            | Route::KeyOp(n, v, _)
            | Route::KeyVerify(n, v) => (ThrottleClass::KeyOperation, Some((n, v.as_deref()))),
            Route::KeyList | Route::KeyVersions(_) => (ThrottleClass::KeyOperation, None),
            Route::SecretSet(_) => (ThrottleClass::SecretCreate, None),
            _ => (ThrottleClass::Other, None),
        }
    }
}

fn read_metadata(kind: ObjectKind) -> String {
    match kind {
        ObjectKind::Secret => "secrets/readMetadata/action".into(),
        other => format!("{}/read", other.collection()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_the_sdks_send() {
        assert_eq!(
            route("GET", "/keys/k1/"),
            Some(Route::KeyGet("k1".into(), None))
        );
        assert_eq!(
            route("POST", "/keys/k1//sign"),
            Some(Route::KeyOp("k1".into(), None, KeyOperation::Sign))
        );
        assert_eq!(
            route("POST", "/keys/k1/abc/wrapkey"),
            Some(Route::KeyOp(
                "k1".into(),
                Some("abc".into()),
                KeyOperation::WrapKey
            ))
        );
        assert_eq!(
            route("POST", "/certificates//restore"),
            Some(Route::Restore(ObjectKind::Certificate))
        );
        assert_eq!(
            route("GET", "/secrets/s/versions"),
            Some(Route::SecretVersions("s".into()))
        );
        assert_eq!(route("GET", "/keys/versions"), None);
        assert_eq!(
            route("GET", "/deletedsecrets"),
            Some(Route::DeletedList(ObjectKind::Secret))
        );
        assert_eq!(
            route("POST", "/deletedkeys/k/recover"),
            Some(Route::Recover(ObjectKind::Key, "k".into()))
        );
        assert_eq!(route("GET", "/nothing"), None);
        assert_eq!(route("GET", "/keys/k/backup"), None);
        assert_eq!(
            route("PUT", "/certificates/issuers/i1"),
            Some(Route::IssuerSet("i1".into()))
        );
        assert_eq!(
            route("GET", "/certificates/issuers/"),
            Some(Route::IssuerList)
        );
        assert_eq!(
            route("DELETE", "/certificates/contacts"),
            Some(Route::Contacts(ContactsVerb::Delete))
        );
        assert_eq!(route("POST", "/certificates/contacts"), None);
        assert_eq!(route("GET", "/certificates/issuers/i1/x"), None);
        assert_eq!(
            route("POST", "/certificates/c/pending/merge"),
            Some(Route::CertMerge("c".into()))
        );
        let (action, object) = route("POST", "/keys/k/1/unwrapkey").unwrap().action();
        assert_eq!(
            (action.as_str(), object.as_deref()),
            ("keys/unwrap/action", Some("keys/k"))
        );
    }
}
