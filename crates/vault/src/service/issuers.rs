//! Certificate issuers (`/certificates/issuers/{name}`) and the vault's certificate contacts
//! (`/certificates/contacts`): vault-wide settings, unversioned and deleted outright. An
//! issuer's password is secret material: sealed like a secret value, never returned. Error
//! codes and texts as Azure's recordings show them (azure-sdk-for-js
//! `recording_can_create_read_and_delete_a_certificate_issuer.json`,
//! `recording_can_set_read_and_delete_a_certificates_contacts.json`).

use serde::{Deserialize, Serialize};
use skybridge_store::{VaultRecord, VaultSettingKind, VaultSettingRecord};

use super::{ListRequest, VaultService, meta};
use crate::api::Page;
use crate::api::issuers::*;
use crate::error::{VaultError, bad};
use crate::names::check_name;
use crate::seal;

/// The contacts' row name (one per vault).
const CONTACTS: &str = "contacts";
/// Most contacts accepted.
const MAX_CONTACTS: usize = 64;
/// Longest provider, account id or contact field accepted.
const MAX_FIELD: usize = 1024;

/// What an issuer keeps in `meta` (the password only in the sealed column).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IssuerMeta {
    provider: String,
    account_id: Option<String>,
    org_details: Option<OrganizationDetails>,
    enabled: bool,
}

fn issuer_not_found() -> VaultError {
    VaultError::Coded {
        status: 404,
        code: "CertificateIssuerNotFound",
        message: "Issuer not found".into(),
    }
}

fn contacts_not_found() -> VaultError {
    VaultError::Coded {
        status: 404,
        code: "ContactsNotFound",
        message: "Contacts not found".into(),
    }
}

fn check_field(what: &str, value: Option<&str>) -> Result<(), VaultError> {
    match value {
        Some(v) if v.len() > MAX_FIELD => Err(bad(format!(
            "{what} is longer than {MAX_FIELD} characters."
        ))),
        _ => Ok(()),
    }
}

fn check_org(org: Option<&OrganizationDetails>) -> Result<(), VaultError> {
    let Some(org) = org else { return Ok(()) };
    check_field("org_details.id", org.id.as_deref())?;
    let admins = org.admin_details.as_deref().unwrap_or_default();
    if admins.len() > MAX_CONTACTS {
        return Err(bad(format!(
            "At most {MAX_CONTACTS} administrators are accepted."
        )));
    }
    for a in admins {
        for (what, v) in [
            ("first_name", &a.first_name),
            ("last_name", &a.last_name),
            ("email", &a.email),
            ("phone", &a.phone),
        ] {
            check_field(what, v.as_deref())?;
        }
    }
    Ok(())
}

impl VaultService {
    fn issuer_aad(vault: &VaultRecord, name: &str) -> String {
        format!(
            "vault/{}/issuer/{}",
            vault.name.to_ascii_lowercase(),
            name.to_ascii_lowercase()
        )
    }

    fn issuer_bundle(
        &self,
        vault: &VaultRecord,
        record: &VaultSettingRecord,
    ) -> Result<IssuerBundle, VaultError> {
        let m: IssuerMeta = meta::from_text(&record.meta)?;
        Ok(IssuerBundle {
            id: format!("{}/certificates/issuers/{}", self.base(vault), record.name),
            provider: m.provider,
            credentials: m.account_id.map(|account_id| IssuerCredentials {
                account_id: Some(account_id),
                pwd: None,
            }),
            org_details: m.org_details,
            attributes: IssuerAttributes {
                enabled: Some(m.enabled),
                created: Some(record.created_at),
                updated: Some(record.updated_at),
            },
        })
    }

    async fn issuer_record(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<VaultSettingRecord, VaultError> {
        self.store()
            .vault_setting(&vault.name, VaultSettingKind::Issuer, name)
            .await?
            .ok_or_else(issuer_not_found)
    }

    /// Writes an issuer, sealing a new password or keeping the stored one.
    async fn save_issuer(
        &self,
        vault: &VaultRecord,
        name: &str,
        m: &IssuerMeta,
        password: Option<&str>,
        previous: Option<&VaultSettingRecord>,
    ) -> Result<VaultSettingRecord, VaultError> {
        let now = self.now();
        let mut record = VaultSettingRecord {
            vault: vault.name.clone(),
            kind: VaultSettingKind::Issuer,
            name: previous.map_or_else(|| name.to_string(), |p| p.name.clone()),
            created_at: previous.map_or(now, |p| p.created_at),
            updated_at: now,
            meta: meta::to_text(m)?,
            wrapped_key: previous.and_then(|p| p.wrapped_key.clone()),
            sealed: previous.and_then(|p| p.sealed.clone()),
        };
        if let Some(pwd) = password {
            let sealed = seal::seal(
                self.root_key(),
                &Self::issuer_aad(vault, name),
                pwd.as_bytes(),
            )?;
            record.wrapped_key = Some(sealed.wrapped_key);
            record.sealed = Some(sealed.sealed);
        }
        self.store().put_vault_setting(&record).await?;
        Ok(record)
    }

    /// `PUT /certificates/issuers/{name}`: creates or replaces an issuer (`provider` required).
    pub async fn set_issuer(
        &self,
        vault: &VaultRecord,
        name: &str,
        p: IssuerParameters,
    ) -> Result<IssuerBundle, VaultError> {
        check_name(name)?;
        let provider = p
            .provider
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| bad("The issuer provider is required."))?;
        check_field("provider", Some(&provider))?;
        let credentials = p.credentials.unwrap_or_default();
        check_field("account_id", credentials.account_id.as_deref())?;
        check_field("pwd", credentials.pwd.as_deref())?;
        check_org(p.org_details.as_ref())?;
        let previous = self
            .store()
            .vault_setting(&vault.name, VaultSettingKind::Issuer, name)
            .await?;
        let m = IssuerMeta {
            provider,
            account_id: credentials.account_id,
            org_details: p.org_details,
            enabled: p.attributes.and_then(|a| a.enabled).unwrap_or(true),
        };
        // A replacement is a new issuer: a password left out is gone.
        let mut previous = previous;
        if let Some(prev) = previous.as_mut() {
            prev.wrapped_key = None;
            prev.sealed = None;
        }
        let record = self
            .save_issuer(
                vault,
                name,
                &m,
                credentials.pwd.as_deref(),
                previous.as_ref(),
            )
            .await?;
        self.issuer_bundle(vault, &record)
    }

    /// `PATCH /certificates/issuers/{name}`: changes the fields present (a new `pwd` replaces
    /// the sealed one; an `account_id` alone keeps it).
    pub async fn update_issuer(
        &self,
        vault: &VaultRecord,
        name: &str,
        p: IssuerParameters,
    ) -> Result<IssuerBundle, VaultError> {
        let previous = self.issuer_record(vault, name).await?;
        let mut m: IssuerMeta = meta::from_text(&previous.meta)?;
        if let Some(provider) = p.provider {
            if provider.trim().is_empty() {
                return Err(bad("The issuer provider cannot be empty."));
            }
            check_field("provider", Some(&provider))?;
            m.provider = provider;
        }
        let credentials = p.credentials.unwrap_or_default();
        check_field("account_id", credentials.account_id.as_deref())?;
        check_field("pwd", credentials.pwd.as_deref())?;
        if credentials.account_id.is_some() {
            m.account_id = credentials.account_id;
        }
        if p.org_details.is_some() {
            check_org(p.org_details.as_ref())?;
            m.org_details = p.org_details;
        }
        if let Some(enabled) = p.attributes.and_then(|a| a.enabled) {
            m.enabled = enabled;
        }
        let record = self
            .save_issuer(vault, name, &m, credentials.pwd.as_deref(), Some(&previous))
            .await?;
        self.issuer_bundle(vault, &record)
    }

    /// `GET /certificates/issuers/{name}`.
    pub async fn get_issuer(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<IssuerBundle, VaultError> {
        let record = self.issuer_record(vault, name).await?;
        self.issuer_bundle(vault, &record)
    }

    /// The sealed password of an issuer (for a future CA integration; tests check sealing).
    pub async fn issuer_password(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<Option<String>, VaultError> {
        let record = self.issuer_record(vault, name).await?;
        match (&record.wrapped_key, &record.sealed) {
            (Some(w), Some(s)) => {
                let plain = seal::open(
                    self.root_key(),
                    &Self::issuer_aad(vault, &record.name),
                    w,
                    s,
                )?;
                String::from_utf8(plain)
                    .map(Some)
                    .map_err(|_| VaultError::Internal("issuer password is not UTF-8".into()))
            }
            _ => Ok(None),
        }
    }

    /// `DELETE /certificates/issuers/{name}`: the issuer as it was.
    pub async fn delete_issuer(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<IssuerBundle, VaultError> {
        let record = self.issuer_record(vault, name).await?;
        let bundle = self.issuer_bundle(vault, &record)?;
        if !self
            .store()
            .delete_vault_setting(&vault.name, VaultSettingKind::Issuer, name)
            .await?
        {
            return Err(issuer_not_found());
        }
        Ok(bundle)
    }

    /// `GET /certificates/issuers`.
    pub async fn list_issuers(
        &self,
        vault: &VaultRecord,
        list: &ListRequest,
    ) -> Result<Page<IssuerItem>, VaultError> {
        let records = self
            .store()
            .vault_settings(
                &vault.name,
                VaultSettingKind::Issuer,
                list.paging.offset,
                list.paging.limit + 1,
            )
            .await?;
        let items = records
            .iter()
            .map(|r| {
                let b = self.issuer_bundle(vault, r)?;
                Ok(IssuerItem {
                    id: b.id,
                    provider: b.provider,
                })
            })
            .collect::<Result<Vec<_>, VaultError>>()?;
        Ok(self.page(vault, list, items))
    }

    fn contacts_value(&self, vault: &VaultRecord, contacts: Vec<Contact>) -> Contacts {
        Contacts {
            id: Some(format!("{}/certificates/contacts", self.base(vault))),
            contacts,
        }
    }

    /// `PUT /certificates/contacts`: replaces the vault's contacts.
    pub async fn set_contacts(
        &self,
        vault: &VaultRecord,
        p: Contacts,
    ) -> Result<Contacts, VaultError> {
        if p.contacts.len() > MAX_CONTACTS {
            return Err(bad(format!(
                "At most {MAX_CONTACTS} contacts are accepted."
            )));
        }
        for c in &p.contacts {
            if c.email.is_none() && c.name.is_none() && c.phone.is_none() {
                return Err(bad("A contact needs an email, a name or a phone number."));
            }
            for (what, v) in [("email", &c.email), ("name", &c.name), ("phone", &c.phone)] {
                check_field(what, v.as_deref())?;
            }
        }
        let previous = self
            .store()
            .vault_setting(&vault.name, VaultSettingKind::Contacts, CONTACTS)
            .await?;
        let now = self.now();
        let record = VaultSettingRecord {
            vault: vault.name.clone(),
            kind: VaultSettingKind::Contacts,
            name: CONTACTS.into(),
            created_at: previous.map_or(now, |p| p.created_at),
            updated_at: now,
            meta: meta::to_text(&p.contacts)?,
            wrapped_key: None,
            sealed: None,
        };
        self.store().put_vault_setting(&record).await?;
        Ok(self.contacts_value(vault, p.contacts))
    }

    /// `GET /certificates/contacts`.
    pub async fn get_contacts(&self, vault: &VaultRecord) -> Result<Contacts, VaultError> {
        let record = self
            .store()
            .vault_setting(&vault.name, VaultSettingKind::Contacts, CONTACTS)
            .await?
            .ok_or_else(contacts_not_found)?;
        let contacts: Vec<Contact> = meta::from_text(&record.meta)?;
        Ok(self.contacts_value(vault, contacts))
    }

    /// `DELETE /certificates/contacts`: the contacts as they were.
    pub async fn delete_contacts(&self, vault: &VaultRecord) -> Result<Contacts, VaultError> {
        let contacts = self.get_contacts(vault).await?;
        if !self
            .store()
            .delete_vault_setting(&vault.name, VaultSettingKind::Contacts, CONTACTS)
            .await?
        {
            return Err(contacts_not_found());
        }
        Ok(contacts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_serialize() {
        let c: IssuerCredentials =
            serde_json::from_str(r#"{"account_id":"a","pwd":"hunter2"}"#).unwrap_or_default();
        assert_eq!(c.pwd.as_deref(), Some("hunter2"));
        let out = serde_json::to_string(&c).unwrap_or_default();
        assert_eq!(out, r#"{"account_id":"a"}"#);
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(check_field("x", Some(&"a".repeat(MAX_FIELD + 1))).is_err());
    }
}
