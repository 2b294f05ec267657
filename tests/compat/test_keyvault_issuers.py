"""Certificate issuers, certificate contacts and issuer `Unknown` with azure-keyvault-certificates
(default options): the pending operation's CSR is signed by a CA made here with `cryptography`,
merged back, and the completed certificate's key, secret and chain are checked independently."""

from __future__ import annotations

import base64
import datetime
import hashlib
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.certificates import (
    AdministratorContact,
    CertificateClient,
    CertificateContact,
    CertificateContentType,
    CertificatePolicy,
    WellKnownIssuerNames,
)
from azure.keyvault.keys.crypto import CryptographyClient, SignatureAlgorithm
from azure.keyvault.secrets import SecretClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import NameOID

import keyvault_world as kvw


@pytest.fixture(scope="module")
def kv(skybridge_dns):
    try:
        return kvw.server()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


def certs(kv, app="kv-admin") -> CertificateClient:
    return CertificateClient(kvw.vault_url(kv), kvw.credential(kv, app), transport=kvw.transport(kv))


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class LocalCa:
    """A throwaway CA that signs CSRs the way a real one would."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Skybridge Compat CA")])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now() - datetime.timedelta(minutes=5))
            .not_valid_after(now() + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def sign(self, csr: x509.CertificateSigningRequest) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.name)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now() - datetime.timedelta(minutes=1))
            .not_valid_after(now() + datetime.timedelta(days=7))
        )
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        builder = builder.add_extension(san.value, critical=False)
        return builder.sign(self.key, hashes.SHA256())


def unknown_policy(subject: str, dns: str) -> CertificatePolicy:
    return CertificatePolicy(
        issuer_name=WellKnownIssuerNames.unknown,
        subject=subject,
        san_dns_names=[dns],
        exportable=True,
        key_type="RSA",
        key_size=2048,
        content_type=CertificateContentType.pkcs12,
        validity_in_months=12,
    )


def test_issuer_create_get_update_list_delete(kv):
    client = certs(kv)
    issuer_name = name("issuer")
    admins = [AdministratorContact(first_name="John", last_name="Doe", email="admin@example.com", phone="4255555555")]
    issuer = client.create_issuer(
        issuer_name, "Test", account_id="keyvaultuser", password="s3cret-pw", admin_contacts=admins, enabled=True
    )
    assert issuer.id == f"{kvw.vault_url(kv)}/certificates/issuers/{issuer_name}"
    assert issuer.name == issuer_name
    assert issuer.provider == "Test" and issuer.account_id == "keyvaultuser"
    assert issuer.password is None  # accepted, sealed, never returned
    assert issuer.enabled is True and issuer.created_on is not None
    assert [(a.first_name, a.last_name, a.email, a.phone) for a in issuer.admin_contacts] == [
        ("John", "Doe", "admin@example.com", "4255555555")
    ]
    got = client.get_issuer(issuer_name)
    assert (got.provider, got.account_id, got.password) == ("Test", "keyvaultuser", None)

    updated = client.update_issuer(issuer_name, account_id="keyvaultuser2")
    assert (updated.provider, updated.account_id) == ("Test", "keyvaultuser2")
    assert len(updated.admin_contacts) == 1

    listed = {i.name: i.provider for i in client.list_properties_of_issuers()}
    assert listed.get(issuer_name) == "Test"

    # A principal with only a key role may not read issuers (certificatecas/read).
    with pytest.raises(HttpResponseError) as e:
        certs(kv, "kv-signer").get_issuer(issuer_name)
    assert e.value.status_code == 403

    deleted = client.delete_issuer(issuer_name)
    assert deleted.name == issuer_name and deleted.account_id == "keyvaultuser2"
    with pytest.raises(ResourceNotFoundError) as e:
        client.get_issuer(issuer_name)
    assert e.value.error.code == "CertificateIssuerNotFound"


def test_contacts_set_get_delete(kv):
    # Contacts are vault-wide: this is the only test that touches them.
    client = certs(kv)
    wanted = [("a@example.com", "a", "111111111111"), ("b@example.com", "b", "222222222222")]
    contacts = [CertificateContact(email=e, name=n, phone=p) for e, n, p in wanted]
    assert [(c.email, c.name, c.phone) for c in client.set_contacts(contacts)] == wanted
    assert [(c.email, c.name, c.phone) for c in client.get_contacts()] == wanted
    assert [(c.email, c.name, c.phone) for c in client.delete_contacts()] == wanted
    with pytest.raises(ResourceNotFoundError) as e:
        client.get_contacts()
    assert e.value.error.code == "ContactsNotFound"


def test_unknown_issuer_csr_signed_by_a_ca_then_merged(kv):
    client = certs(kv)
    cert_name = name("merged")
    operation = client.begin_create_certificate(cert_name, unknown_policy("CN=merged.example", "merged.example")).result()
    # The poller stops at once for issuer Unknown and returns the operation.
    assert operation.issuer_name == "Unknown" and operation.status == "inProgress"

    pending = client.get_certificate_operation(cert_name)
    assert pending.status == "inProgress" and pending.cancellation_requested is False
    assert pending.status_details == "Pending certificate created. Please Perform Merge to complete the request."
    csr = x509.load_der_x509_csr(pending.csr)
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == "CN=merged.example"
    sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["merged.example"]

    # No second version while this one waits for its merge.
    with pytest.raises(ResourceExistsError):
        client.begin_create_certificate(cert_name, unknown_policy("CN=merged.example", "merged.example"))

    ca = LocalCa()
    # A certificate for another key is refused.
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.name)
        .public_key(stranger_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now())
        .not_valid_after(now() + datetime.timedelta(days=1))
        .sign(ca.key, hashes.SHA256())
    )
    with pytest.raises(HttpResponseError) as e:
        client.merge_certificate(cert_name, [stranger.public_bytes(Encoding.DER)])
    assert e.value.status_code == 400 and e.value.error.code == "BadParameter"
    assert client.get_certificate_operation(cert_name).status == "inProgress"

    leaf = ca.sign(csr)
    leaf_der = leaf.public_bytes(Encoding.DER)
    merged = client.merge_certificate(cert_name, [leaf_der, ca.cert.public_bytes(Encoding.DER)])
    assert bytes(merged.cer) == leaf_der
    assert merged.properties.x509_thumbprint == hashlib.sha1(leaf_der).digest()
    assert merged.properties.enabled is True

    cert = client.get_certificate(cert_name)
    assert bytes(cert.cer) == leaf_der
    done = client.get_certificate_operation(cert_name)
    assert done.status == "completed" and done.target == f"{kvw.vault_url(kv)}/certificates/{cert_name}"

    # The certificate's key signs; the CA-signed certificate's public key verifies.
    credential = kvw.credential(kv, "kv-admin")
    crypto = CryptographyClient(cert.key_id, credential, transport=kvw.transport(kv))
    message = b"merged certificate signs"
    signature = crypto.sign(SignatureAlgorithm.rs256, hashlib.sha256(message).digest()).signature
    leaf.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())

    # The managed secret: a PFX with the private key, the leaf and the CA.
    secret = SecretClient(kvw.vault_url(kv), credential, transport=kvw.transport(kv)).get_secret(cert_name)
    assert secret.properties.content_type == CertificateContentType.pkcs12
    key, pfx_cert, extra = pkcs12.load_key_and_certificates(base64.b64decode(secret.value), None)
    assert key is not None and pfx_cert.public_bytes(Encoding.DER) == leaf_der
    assert [c.public_bytes(Encoding.DER) for c in extra] == [ca.cert.public_bytes(Encoding.DER)]


def test_merge_as_the_sdk_own_test_sends_it(kv):
    # azure-keyvault-certificates' test_merge_certificate passes the base64 text of the DER
    # (which the SDK base64-encodes again); Key Vault accepts it.
    client = certs(kv)
    cert_name = name("sdkstyle")
    client.begin_create_certificate(cert_name, unknown_policy("CN=sdk.example", "sdk.example")).result()
    csr = x509.load_der_x509_csr(client.get_certificate_operation(cert_name).csr)
    leaf = LocalCa().sign(csr)
    text = base64.b64encode(leaf.public_bytes(Encoding.DER))
    merged = client.merge_certificate(cert_name, [text])
    assert bytes(merged.cer) == leaf.public_bytes(Encoding.DER)


def test_cancel_and_delete_a_pending_operation(kv):
    client = certs(kv)
    cert_name = name("cancelled")
    client.begin_create_certificate(cert_name, unknown_policy("CN=cancelled.example", "cancelled.example")).result()
    cancelled = client.cancel_certificate_operation(cert_name)
    assert cancelled.cancellation_requested is True
    assert client.get_certificate_operation(cert_name).status == "cancelled"
    deleted = client.delete_certificate_operation(cert_name)
    assert deleted.cancellation_requested is True
    with pytest.raises(ResourceNotFoundError):
        client.get_certificate_operation(cert_name)
    # The certificate itself (never completed) can still be deleted.
    client.begin_delete_certificate(cert_name).wait()
