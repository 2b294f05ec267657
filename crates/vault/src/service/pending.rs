//! The creation operation (`/certificates/{name}/pending`) and issuer `Unknown`: creating leaves
//! a key and a PKCS#10 request, the caller's CA signs it, and `pending/merge` completes the
//! version with the signed certificate. Behaviour and texts from learn.microsoft.com, "Monitor
//! and manage certificate creation", and Azure's recordings in azure-sdk-for-js
//! (`recording_can_read_cancel_and_delete_a_certificates_operation.json`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use skybridge_pki::thumbprint;
use skybridge_store::{VaultObjectKind, VaultObjectRecord, VaultRecord};

use super::VaultService;
use super::certbuild;
use super::certpolicy::{PKCS12, generate_policy_key, pki_error, secret_value};
use super::meta::{self, CertMeta, KeyMeta, PendingMeta, SecretMeta};
use crate::api::certificates::{CertificateBundle, CertificateOperationUpdate};
use crate::api::certificates::{CertificateOperation, CertificatePolicy, IssuerParameters};
use crate::api::issuers::CertificateMergeParameters;
use crate::api::{Attributes, Tags};
use crate::crypto;
use crate::error::{ObjectKind, VaultError, bad};
use crate::names::new_version;

const CERT: VaultObjectKind = VaultObjectKind::Certificate;
const IN_PROGRESS: &str = "inProgress";

/// Most certificates a merge accepts (a leaf and its chain).
const MAX_CHAIN: usize = 10;

fn pending_not_found(name: &str) -> VaultError {
    VaultError::Coded {
        status: 404,
        code: "PendingCertificateNotFound",
        message: format!(
            "Pending certificate not found: {}",
            crate::names::printable(name)
        ),
    }
}

/// One `x5c` entry: standard base64 of a DER certificate. Key Vault also accepts what the
/// Python SDK's own merge test sends — the base64 text of the DER, base64-encoded again by the
/// SDK (azure-keyvault-certificates `tests/test_certificates_client.py`, test_merge_certificate)
/// — and PEM text, so those are unwrapped too.
fn x5c_entry(entry: &str) -> Result<Vec<Vec<u8>>, VaultError> {
    let invalid = || bad("x5c must hold base64-encoded DER certificates.");
    let mut bytes = skybridge_jose::b64::std_decode_lenient(entry.trim()).map_err(|_| invalid())?;
    for _ in 0..2 {
        if bytes.first() == Some(&0x30) {
            return Ok(vec![bytes]);
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
        if text.contains("-----BEGIN") {
            return skybridge_pki::pem::certificates(text).map_err(pki_error);
        }
        let compact: String = text.split_whitespace().collect();
        bytes = skybridge_jose::b64::std_decode_lenient(&compact).map_err(|_| invalid())?;
    }
    Err(invalid())
}

impl VaultService {
    /// The creation operation of `record`. The create response of issuer `Self` says
    /// `inProgress`, as Key Vault's does: azure-core's LROPoller never runs a poller whose
    /// first response is already finished, and the certificates poller fetches the
    /// certificate only from `run()` (azure-keyvault-certificates `_polling.py`), so a
    /// `completed` 202 would make `begin_create_certificate(...).result()` return None. Every
    /// later read says `completed`.
    pub(crate) fn operation(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
        created_now: bool,
    ) -> Result<CertificateOperation, VaultError> {
        let m: CertMeta = meta::read(record)?;
        let base = self.base(vault);
        let (status, cancellation_requested) = match &m.pending {
            Some(p) => (p.status.clone(), p.cancellation_requested),
            None if created_now => (IN_PROGRESS.to_string(), false),
            None => ("completed".to_string(), false),
        };
        let status_details = match status.as_str() {
            IN_PROGRESS if m.awaiting_merge() => {
                Some("Pending certificate created. Please Perform Merge to complete the request.")
            }
            IN_PROGRESS => Some(
                "Pending certificate created. Certificate request is in progress. This may take \
                 some time based on the issuer provider. Please check again later.",
            ),
            "cancelled" => Some("The certificate request was cancelled."),
            _ => None,
        };
        let completed = status == "completed";
        Ok(CertificateOperation {
            id: format!("{base}/certificates/{}/pending", record.name),
            issuer: IssuerParameters {
                name: m.policy.issuer.and_then(|i| i.name),
                ..IssuerParameters::default()
            },
            csr: m.csr,
            cancellation_requested,
            status,
            status_details: status_details.map(str::to_string),
            target: completed.then(|| format!("{base}/certificates/{}", record.name)),
            request_id: m.request_id,
        })
    }

    /// Issuer `Unknown`: a new key (managed, disabled until the merge) and a certificate version
    /// with no certificate yet, whose operation holds the CSR.
    pub(crate) async fn create_pending(
        &self,
        vault: &VaultRecord,
        name: &str,
        policy: CertificatePolicy,
        attributes: Option<Attributes>,
        tags: Option<Tags>,
    ) -> Result<CertificateOperation, VaultError> {
        self.check_managed_names(vault, name).await?;
        let kp = policy.key_props.clone().unwrap_or_default();
        let (kind, pkcs8) = generate_policy_key(&policy).await?;
        let x509 = policy.x509_props.clone().unwrap_or_default();
        let now = self.now();
        let csr = certbuild::request(&x509, &pkcs8, now)?;
        let (nbf, exp) = certbuild::planned_validity(&x509, now);
        let version = new_version();
        let cert_meta = CertMeta {
            cer: String::new(),
            x5t: String::new(),
            chain: Vec::new(),
            // Key Vault shows a pending version disabled, with the validity it plans.
            attributes: Attributes {
                enabled: Some(false),
                nbf: Some(nbf),
                exp: Some(exp),
                ..Attributes::default()
            },
            tags: tags.clone(),
            request_id: uuid::Uuid::new_v4().simple().to_string(),
            csr: STANDARD.encode(&csr),
            pending: Some(PendingMeta {
                status: IN_PROGRESS.into(),
                cancellation_requested: false,
                deleted: false,
                // The caller's `enabled` applies when the certificate arrives.
                enabled: attributes.and_then(|a| a.enabled),
            }),
            policy,
        };
        let exportable = kp.exportable.unwrap_or(true);
        let key_meta = KeyMeta {
            public: crypto::public_jwk(&pkcs8)?,
            key_ops: crypto::default_ops(kind),
            attributes: Attributes {
                enabled: Some(false),
                exportable: Some(exportable),
                ..Attributes::default()
            },
            tags,
            managed: true,
        };
        let cert_record = self.new_record(vault, CERT, name, &version, &cert_meta)?;
        let key_record = self.key_record(vault, name, &version, &pkcs8, &key_meta)?;
        self.insert(vault, &[cert_record.clone(), key_record])
            .await?;
        self.operation(vault, &cert_record, true)
    }

    /// The latest version of `name` with its operation, or 404 `PendingCertificateNotFound`.
    async fn operation_record(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<(VaultObjectRecord, CertMeta), VaultError> {
        let record = self
            .store()
            .latest_object_version(&vault.name, CERT, name)
            .await?
            .ok_or_else(|| pending_not_found(name))?;
        let m: CertMeta = meta::read(&record)?;
        if m.pending.as_ref().is_some_and(|p| p.deleted) {
            return Err(pending_not_found(name));
        }
        Ok((record, m))
    }

    /// `GET /certificates/{name}/pending`.
    pub async fn certificate_operation(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<CertificateOperation, VaultError> {
        let (record, _) = self.operation_record(vault, name).await?;
        self.operation(vault, &record, false)
    }

    /// `PATCH /certificates/{name}/pending` `{"cancellation_requested": true}`: only an
    /// operation in progress can be cancelled (400 otherwise). The answer still says
    /// `inProgress` with `cancellation_requested`, as Key Vault's does; the operation reads
    /// `cancelled` from then on, and a merge is still accepted.
    pub async fn cancel_certificate_operation(
        &self,
        vault: &VaultRecord,
        name: &str,
        update: CertificateOperationUpdate,
    ) -> Result<CertificateOperation, VaultError> {
        let (mut record, mut m) = self.operation_record(vault, name).await?;
        let in_progress =
            m.awaiting_merge() && m.pending.as_ref().is_some_and(|p| p.status == IN_PROGRESS);
        if !in_progress {
            return Err(bad(format!(
                "The operation of certificate {} is not in progress.",
                record.name
            )));
        }
        if !update.cancellation_requested {
            return self.operation(vault, &record, false);
        }
        let answer = {
            let mut op = self.operation(vault, &record, false)?;
            op.cancellation_requested = true;
            op
        };
        if let Some(state) = m.pending.as_mut() {
            state.status = "cancelled".into();
            state.cancellation_requested = true;
        }
        self.save_update(
            &mut record,
            meta::to_text(&m)?,
            ObjectKind::Certificate,
            name,
        )
        .await?;
        Ok(answer)
    }

    /// `DELETE /certificates/{name}/pending`: the operation as it was; reading it is 404 from
    /// then on. The certificate version stays (a pending one can then be deleted, or replaced
    /// by a new create).
    pub async fn delete_certificate_operation(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<CertificateOperation, VaultError> {
        let (mut record, mut m) = self.operation_record(vault, name).await?;
        let answer = self.operation(vault, &record, false)?;
        let mut state = m.pending.take().unwrap_or(PendingMeta {
            status: "completed".into(),
            cancellation_requested: false,
            deleted: false,
            enabled: None,
        });
        state.deleted = true;
        m.pending = Some(state);
        self.save_update(
            &mut record,
            meta::to_text(&m)?,
            ObjectKind::Certificate,
            name,
        )
        .await?;
        Ok(answer)
    }

    /// `POST /certificates/{name}/pending/merge` (201): completes the version waiting for its
    /// certificate. The certificate whose public key is the pending key's becomes the leaf; the
    /// others follow as its chain. The managed secret (PFX or PEM per the policy, with the key
    /// only when exportable) appears, and the key and certificate are enabled.
    pub async fn merge_certificate(
        &self,
        vault: &VaultRecord,
        name: &str,
        p: CertificateMergeParameters,
    ) -> Result<CertificateBundle, VaultError> {
        let (mut record, mut m) = self.operation_record(vault, name).await?;
        if !m.awaiting_merge() {
            return Err(pending_not_found(name));
        }
        if p.x5c.is_empty() || p.x5c.len() > MAX_CHAIN {
            return Err(bad(format!("x5c must hold 1 to {MAX_CHAIN} certificates.")));
        }
        let mut certs = Vec::new();
        for entry in &p.x5c {
            certs.extend(x5c_entry(entry)?);
        }
        for der in &certs {
            skybridge_pki::parse_certificate(der).map_err(pki_error)?;
        }
        let mut key_record = self
            .store()
            .object_version(&vault.name, VaultObjectKind::Key, name, &record.version)
            .await?
            .ok_or_else(|| VaultError::Internal("pending certificate without its key".into()))?;
        let pkcs8 = self.open(&key_record)?;
        let public = certbuild::public_key_bits(&pkcs8)?;
        let leaf_at = certs
            .iter()
            .position(|der| certbuild::certificate_key_bits(der).as_deref() == Some(&public))
            .ok_or_else(|| {
                bad("Public key from x509 certificate and key of this instance doesn't match")
            })?;
        let leaf = certs.remove(leaf_at);
        let info = skybridge_pki::parse_certificate(&leaf).map_err(pki_error)?;
        let mut chain = vec![leaf];
        chain.extend(certs);

        let enabled = p
            .attributes
            .and_then(|a| a.enabled)
            .or(m.pending.as_ref().and_then(|s| s.enabled))
            .unwrap_or(true);
        let attrs = Attributes {
            enabled: Some(enabled),
            nbf: Some(info.not_before),
            exp: Some(info.not_after),
            ..Attributes::default()
        };
        let tags = p.tags.or_else(|| m.tags.clone());
        let content_type = m
            .policy
            .secret_props
            .as_ref()
            .and_then(|s| s.content_type.clone())
            .unwrap_or_else(|| PKCS12.into());
        let exportable = m
            .policy
            .key_props
            .as_ref()
            .and_then(|k| k.exportable)
            .unwrap_or(true);
        let value = secret_value(&content_type, &pkcs8, &chain, exportable, &record.name)?;
        let secret_meta = SecretMeta {
            content_type: Some(content_type),
            attributes: attrs.clone(),
            tags: tags.clone(),
            managed: true,
        };
        let secret_record = self.secret_record(
            vault,
            &record.name,
            &record.version,
            value.as_bytes(),
            &secret_meta,
        )?;
        // The secret's insert is the commit point: a second merge of the same version finds
        // it there and stops before changing anything.
        if !self
            .store()
            .insert_object_versions(&[secret_record])
            .await?
        {
            return Err(VaultError::Conflict(format!(
                "Certificate {} was merged or deleted concurrently.",
                record.name
            )));
        }
        let mut key_meta: KeyMeta = meta::read(&key_record)?;
        key_meta.attributes = Attributes {
            exportable: key_meta.attributes.exportable,
            ..attrs.clone()
        };
        key_meta.tags = tags.clone();
        self.save_update(
            &mut key_record,
            meta::to_text(&key_meta)?,
            ObjectKind::Key,
            name,
        )
        .await?;
        m.cer = STANDARD.encode(&chain[0]);
        m.x5t = thumbprint::x5t(&chain[0]);
        m.chain = chain.iter().skip(1).map(|c| STANDARD.encode(c)).collect();
        m.attributes = attrs;
        m.tags = tags;
        if let Some(state) = m.pending.as_mut() {
            state.status = "completed".into();
        }
        self.save_update(
            &mut record,
            meta::to_text(&m)?,
            ObjectKind::Certificate,
            name,
        )
        .await?;
        self.certificate_bundle(vault, &record)
    }

    /// The provider of a configured issuer, or Key Vault's 404 for an unknown one.
    pub(crate) async fn issuer_provider(
        &self,
        vault: &VaultRecord,
        issuer: &str,
    ) -> Result<String, VaultError> {
        Ok(self.get_issuer(vault, issuer).await?.provider)
    }
}
