//! Certificates: create (issuer `Self`, completed at once behind the pending-operation endpoint
//! the SDK pollers read; issuer `Unknown` in service/pending.rs), import (PFX or PEM), get,
//! update, list, versions and the policy. Every version also stores a managed key and a managed
//! secret of the same name and version (a pending version: the key only, until its merge).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use skybridge_pki::{pem, thumbprint};
use skybridge_store::{VaultObjectKind, VaultObjectRecord, VaultRecord};

use super::certpolicy::{
    PEM, PKCS12, generate_policy_key, merge_policy, normalize_policy, pki_error, secret_value,
};
use super::meta::{self, CertMeta, KeyMeta, SecretMeta};
use super::{ListRequest, VaultService, certbuild};
use crate::api::certificates::*;
use crate::api::{Attributes, Page};
use crate::crypto;
use crate::error::{ObjectKind, VaultError, bad};
use crate::names::{check_name, new_version};

const CERT: VaultObjectKind = VaultObjectKind::Certificate;

impl VaultService {
    pub(crate) fn certificate_bundle(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
    ) -> Result<CertificateBundle, VaultError> {
        let m: CertMeta = meta::read(record)?;
        let base = self.base(vault);
        let mut policy = m.policy.clone();
        policy.id = Some(format!("{base}/certificates/{}/policy", record.name));
        let content_type = policy
            .secret_props
            .as_ref()
            .and_then(|s| s.content_type.clone());
        // A version awaiting its merge has no certificate, key id or secret id yet.
        let done = !m.awaiting_merge();
        let linked = |collection: &str| {
            done.then(|| format!("{base}/{collection}/{}/{}", record.name, record.version))
        };
        let operation_exists = m.pending.as_ref().is_some_and(|p| !p.deleted);
        Ok(CertificateBundle {
            id: format!("{base}/certificates/{}/{}", record.name, record.version),
            kid: linked("keys"),
            sid: linked("secrets"),
            x5t: done.then(|| m.x5t.clone()),
            cer: done.then(|| m.cer.clone()),
            attributes: self.full_attributes(vault, &m.attributes, record),
            policy: Some(policy),
            tags: m.tags.clone(),
            content_type: if done { content_type } else { None },
            pending: operation_exists.then(|| PendingReference {
                id: format!("{base}/certificates/{}/pending", record.name),
            }),
        })
    }

    pub(crate) fn certificate_item(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
    ) -> Result<CertificateItem, VaultError> {
        let m: CertMeta = meta::read(record)?;
        Ok(CertificateItem {
            id: format!("{}/certificates/{}", self.base(vault), record.name),
            x5t: (!m.awaiting_merge()).then_some(m.x5t),
            attributes: self.full_attributes(vault, &m.attributes, record),
            tags: m.tags,
        })
    }

    /// A certificate's key and secret take its name: an unmanaged key or secret of that name
    /// is a conflict.
    pub(crate) async fn check_managed_names(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<(), VaultError> {
        for kind in [VaultObjectKind::Key, VaultObjectKind::Secret] {
            if let Some(other) = self
                .store()
                .latest_object_version(&vault.name, kind, name)
                .await?
            {
                let managed = match kind {
                    VaultObjectKind::Key => meta::read::<KeyMeta>(&other)?.managed,
                    _ => meta::read::<SecretMeta>(&other)?.managed,
                };
                if !managed {
                    return Err(VaultError::Conflict(format!(
                        "A {} named {name} already exists; a certificate needs the name for its \
                         key and secret.",
                        if kind == VaultObjectKind::Key {
                            "key"
                        } else {
                            "secret"
                        }
                    )));
                }
            }
        }
        Ok(())
    }

    /// Key Vault refuses a new version while the latest is waiting for its merge: 409 with the
    /// code `Forbidden` (learn.microsoft.com, "Monitor and manage certificate creation").
    pub(crate) async fn refuse_while_pending(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<(), VaultError> {
        let Some(latest) = self
            .store()
            .latest_object_version(&vault.name, CERT, name)
            .await?
        else {
            return Ok(());
        };
        let m: CertMeta = meta::read(&latest)?;
        let in_progress = m
            .pending
            .as_ref()
            .is_some_and(|p| !p.deleted && p.status == "inProgress");
        if m.awaiting_merge() && in_progress {
            return Err(VaultError::Coded {
                status: 409,
                code: "Forbidden",
                message: "A new key vault certificate can not be created or imported while a \
                          pending key vault certificate's status is inProgress."
                    .into(),
            });
        }
        Ok(())
    }

    /// Stores a certificate version with its managed key and secret, atomically.
    #[allow(clippy::too_many_arguments)]
    async fn store_certificate(
        &self,
        vault: &VaultRecord,
        name: &str,
        pkcs8: &[u8],
        chain: Vec<Vec<u8>>,
        policy: CertificatePolicy,
        attributes: Option<Attributes>,
        tags: Option<crate::api::Tags>,
        csr_der: &[u8],
    ) -> Result<VaultObjectRecord, VaultError> {
        self.check_managed_names(vault, name).await?;
        let leaf = chain
            .first()
            .ok_or_else(|| VaultError::Internal("empty chain".into()))?;
        let info = skybridge_pki::parse_certificate(leaf).map_err(pki_error)?;
        let exportable = policy
            .key_props
            .as_ref()
            .and_then(|k| k.exportable)
            .unwrap_or(true);
        let content_type = policy
            .secret_props
            .as_ref()
            .and_then(|s| s.content_type.clone())
            .unwrap_or_else(|| PKCS12.into());
        let mut attrs = Attributes::default();
        attrs.merge(&attributes.unwrap_or_default());
        attrs.nbf = Some(info.not_before);
        attrs.exp = Some(info.not_after);
        let version = new_version();
        let cert_meta = CertMeta {
            cer: STANDARD.encode(leaf),
            x5t: thumbprint::x5t(leaf),
            chain: chain.iter().skip(1).map(|c| STANDARD.encode(c)).collect(),
            policy,
            attributes: Attributes {
                enabled: attrs.enabled,
                ..Attributes::default()
            },
            tags: tags.clone(),
            request_id: uuid::Uuid::new_v4().simple().to_string(),
            csr: STANDARD.encode(csr_der),
            pending: None,
        };
        let mut cert_record = self.new_record(vault, CERT, name, &version, &cert_meta)?;
        // The certificate's own attributes carry its validity.
        let mut stored = cert_meta.clone();
        stored.attributes = attrs.clone();
        cert_record.meta = meta::to_text(&stored)?;
        let kind = crypto::kind_of(pkcs8)?;
        let key_meta = KeyMeta {
            public: crypto::public_jwk(pkcs8)?,
            key_ops: crypto::default_ops(kind),
            attributes: Attributes {
                exportable: Some(exportable),
                ..attrs.clone()
            },
            tags: tags.clone(),
            managed: true,
        };
        let key_record = self.key_record(vault, name, &version, pkcs8, &key_meta)?;
        let value = secret_value(&content_type, pkcs8, &chain, exportable, name)?;
        let secret_meta = SecretMeta {
            content_type: Some(content_type),
            attributes: attrs,
            tags,
            managed: true,
        };
        let secret_record =
            self.secret_record(vault, name, &version, value.as_bytes(), &secret_meta)?;
        self.insert(vault, &[cert_record.clone(), key_record, secret_record])
            .await?;
        Ok(cert_record)
    }

    /// `POST /certificates/{name}/create` (202). Issuer `Self` completes at once, behind the
    /// pending-operation endpoint (see [`Self::operation`] for why the 202 says `inProgress`);
    /// issuer `Unknown` (or none) leaves a CSR to merge (service/pending.rs); a named issuer
    /// must exist, but Skybridge enrolls with no CA provider.
    pub async fn create_certificate(
        &self,
        vault: &VaultRecord,
        name: &str,
        p: CertificateCreateParameters,
    ) -> Result<CertificateOperation, VaultError> {
        check_name(name)?;
        let policy = normalize_policy(p.policy.ok_or_else(|| bad("A policy is required."))?)?;
        let issuer = policy
            .issuer
            .as_ref()
            .and_then(|i| i.name.clone())
            .unwrap_or_default();
        self.refuse_while_pending(vault, name).await?;
        if issuer.eq_ignore_ascii_case("Unknown") {
            return self
                .create_pending(vault, name, policy, p.attributes, p.tags)
                .await;
        }
        if !issuer.eq_ignore_ascii_case("Self") {
            let provider = self.issuer_provider(vault, &issuer).await?;
            return Err(VaultError::NotImplemented(format!(
                "Skybridge does not enroll certificates with issuer providers ('{}' uses {}); \
                 create the certificate with issuer Unknown and merge the certificate your CA \
                 signs.",
                crate::names::printable(&issuer),
                crate::names::printable(&provider)
            )));
        }
        let (_, pkcs8) = generate_policy_key(&policy).await?;
        let x509 = policy.x509_props.clone().unwrap_or_default();
        let issued = certbuild::self_signed(&x509, &pkcs8, self.now())?;
        let record = self
            .store_certificate(
                vault,
                name,
                &pkcs8,
                vec![issued.cert_der],
                policy,
                p.attributes,
                p.tags,
                &issued.csr_der,
            )
            .await?;
        self.operation(vault, &record, true)
    }

    /// `POST /certificates/{name}/import`: a PFX (base64, with `pwd`) or PEM text holding the
    /// private key and the chain.
    pub async fn import_certificate(
        &self,
        vault: &VaultRecord,
        name: &str,
        p: CertificateImportParameters,
    ) -> Result<CertificateBundle, VaultError> {
        check_name(name)?;
        self.refuse_while_pending(vault, name).await?;
        let given = p.policy.clone().unwrap_or_default();
        let asked_pem = given
            .secret_props
            .as_ref()
            .and_then(|s| s.content_type.as_deref())
            == Some(PEM);
        let (pkcs8, chain, detected) =
            if asked_pem || p.value.trim_start().starts_with("-----BEGIN") {
                let chain = pem::certificates(&p.value).map_err(pki_error)?;
                let key = pem::private_key(&p.value).map_err(pki_error)?;
                (key, chain, PEM)
            } else {
                let der = skybridge_jose::b64::std_decode_lenient(&p.value)
                    .map_err(|_| bad("The certificate value is neither base64 PFX nor PEM."))?;
                let pfx = skybridge_pki::pfx_import(&der, p.pwd.as_deref().unwrap_or(""))
                    .map_err(pki_error)?;
                let key = pfx
                    .key_pkcs8
                    .ok_or_else(|| bad("The PFX holds no private key."))?;
                (key, pfx.chain, PKCS12)
            };
        if chain.is_empty() {
            return Err(bad("The value holds no certificate."));
        }
        let kind = skybridge_pki::key_kind(&pkcs8).map_err(pki_error)?;
        let info = skybridge_pki::parse_certificate(&chain[0]).map_err(pki_error)?;
        let mut policy = given;
        let mut kp = policy.key_props.take().unwrap_or_default();
        kp.kty = Some(crypto::kty(kind).into());
        kp.key_size = match kind {
            skybridge_pki::KeyKind::Rsa2048 => Some(2048),
            skybridge_pki::KeyKind::Rsa3072 => Some(3072),
            skybridge_pki::KeyKind::Rsa4096 => Some(4096),
            _ => None,
        };
        kp.crv = match kind {
            skybridge_pki::KeyKind::EcP256 => Some("P-256".into()),
            skybridge_pki::KeyKind::EcP384 => Some("P-384".into()),
            skybridge_pki::KeyKind::EcP521 => Some("P-521".into()),
            _ => None,
        };
        policy.key_props = Some(kp);
        let mut sp = policy.secret_props.take().unwrap_or_default();
        sp.content_type = Some(sp.content_type.unwrap_or_else(|| detected.into()));
        policy.secret_props = Some(sp);
        let mut x = policy.x509_props.take().unwrap_or_default();
        x.subject = Some(info.subject.clone());
        if !info.dns_names.is_empty() {
            x.sans = Some(SubjectAlternativeNames {
                dns_names: Some(info.dns_names.clone()),
                ..SubjectAlternativeNames::default()
            });
        }
        x.validity_months = Some(((info.not_after - info.not_before) / 2_629_800).max(1) as u32);
        policy.x509_props = Some(x);
        let mut issuer = policy.issuer.take().unwrap_or_default();
        issuer.name = Some(
            if info.subject == info.issuer {
                "Self"
            } else {
                "Unknown"
            }
            .into(),
        );
        policy.issuer = Some(issuer);
        let policy = normalize_policy(policy)?;
        let record = self
            .store_certificate(
                vault,
                name,
                &pkcs8,
                chain,
                policy,
                p.attributes,
                p.tags,
                &[],
            )
            .await?;
        self.certificate_bundle(vault, &record)
    }

    /// `GET /certificates/{name}/{version?}`.
    pub async fn get_certificate(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
    ) -> Result<CertificateBundle, VaultError> {
        let record = self.find(vault, CERT, name, version).await?;
        self.certificate_bundle(vault, &record)
    }

    /// `PATCH /certificates/{name}/{version?}`: enabled, tags, and the policy.
    pub async fn update_certificate(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
        p: CertificateUpdateParameters,
    ) -> Result<CertificateBundle, VaultError> {
        let mut record = self.find(vault, CERT, name, version).await?;
        let mut m: CertMeta = meta::read(&record)?;
        if let Some(a) = &p.attributes {
            m.attributes.enabled = a.enabled.or(m.attributes.enabled);
        }
        if p.tags.is_some() {
            m.tags = p.tags;
        }
        if let Some(policy) = p.policy {
            m.policy = merge_policy(m.policy, policy)?;
        }
        self.save_update(
            &mut record,
            meta::to_text(&m)?,
            ObjectKind::Certificate,
            name,
        )
        .await?;
        if let Some(enabled) = p.attributes.as_ref().and_then(|a| a.enabled) {
            self.set_managed_enabled(vault, &record, enabled).await?;
        }
        self.certificate_bundle(vault, &record)
    }

    /// Enabling or disabling a certificate version does the same to its key and secret, as in
    /// Key Vault (they cannot be updated on their own).
    async fn set_managed_enabled(
        &self,
        vault: &VaultRecord,
        cert: &VaultObjectRecord,
        enabled: bool,
    ) -> Result<(), VaultError> {
        let now = self.now();
        for kind in [VaultObjectKind::Key, VaultObjectKind::Secret] {
            let Some(mut r) = self
                .store()
                .object_version(&vault.name, kind, &cert.name, &cert.version)
                .await?
            else {
                continue;
            };
            r.meta = if kind == VaultObjectKind::Key {
                let mut m: KeyMeta = meta::read(&r)?;
                m.attributes.enabled = Some(enabled);
                meta::to_text(&m)?
            } else {
                let mut m: SecretMeta = meta::read(&r)?;
                m.attributes.enabled = Some(enabled);
                meta::to_text(&m)?
            };
            r.updated_at = now;
            self.store().update_object_version(&r).await?;
        }
        Ok(())
    }

    /// `GET /certificates`: the latest version of each name; names whose latest version waits
    /// for its merge only with `includePending=true`. Paging counts names either way, so a
    /// page may hold fewer items than `maxresults` and still have a `nextLink`.
    pub async fn list_certificates(
        &self,
        vault: &VaultRecord,
        list: &ListRequest,
        include_pending: bool,
    ) -> Result<Page<CertificateItem>, VaultError> {
        let mut records = self
            .store()
            .latest_objects(&vault.name, CERT, list.paging.offset, list.paging.limit + 1)
            .await?;
        let more = records.len() as i64 > list.paging.limit;
        records.truncate(list.paging.limit.max(0) as usize);
        let mut items = Vec::with_capacity(records.len());
        for r in &records {
            let pending = meta::read::<CertMeta>(r)?.awaiting_merge();
            if include_pending || !pending {
                items.push(self.certificate_item(vault, r)?);
            }
        }
        let mut list = list.clone();
        if include_pending {
            list.extra_query = "&includePending=true".into();
        }
        Ok(self.page_of(vault, &list, items, more))
    }

    /// `GET /certificates/{name}/versions`.
    pub async fn list_certificate_versions(
        &self,
        vault: &VaultRecord,
        name: &str,
        list: &ListRequest,
    ) -> Result<Page<CertificateItem>, VaultError> {
        let records = self
            .store()
            .object_versions(&vault.name, CERT, name)
            .await?;
        if records.is_empty() {
            self.find(vault, CERT, name, None).await?;
        }
        let base = self.base(vault);
        let items = records
            .iter()
            .skip(list.paging.offset as usize)
            .take(list.paging.limit as usize + 1)
            .map(|r| {
                let mut item = self.certificate_item(vault, r)?;
                item.id = format!("{base}/certificates/{}/{}", r.name, r.version);
                Ok(item)
            })
            .collect::<Result<Vec<_>, VaultError>>()?;
        Ok(self.page(vault, list, items))
    }

    /// `GET /certificates/{name}/policy`.
    pub async fn get_certificate_policy(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<CertificatePolicy, VaultError> {
        Ok(self
            .get_certificate(vault, name, None)
            .await?
            .policy
            .unwrap_or_default())
    }

    /// `PATCH /certificates/{name}/policy`: applies to the latest version (future renewals).
    pub async fn update_certificate_policy(
        &self,
        vault: &VaultRecord,
        name: &str,
        policy: CertificatePolicy,
    ) -> Result<CertificatePolicy, VaultError> {
        let update = CertificateUpdateParameters {
            policy: Some(policy),
            attributes: None,
            tags: None,
        };
        Ok(self
            .update_certificate(vault, name, None, update)
            .await?
            .policy
            .unwrap_or_default())
    }
}
