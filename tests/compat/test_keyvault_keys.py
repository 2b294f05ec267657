"""Key Vault keys and certificates with the official SDKs (azure-keyvault-keys and
-certificates, default options): sign digests remotely and verify with `cryptography`, sign a
JWT with a certificate's key, import PFX files made by `cryptography`."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import jwt
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.certificates import CertificateClient, CertificatePolicy, CertificateContentType
from azure.keyvault.keys import KeyClient
from azure.keyvault.keys.crypto import CryptographyClient, SignatureAlgorithm
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

import harness
import keyvault_world as kvw


@pytest.fixture(scope="module")
def kv(skybridge_dns):
    try:
        return kvw.server()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


def keys(kv, app="kv-admin") -> KeyClient:
    return KeyClient(kvw.vault_url(kv), kvw.credential(kv, app), transport=kvw.transport(kv))


def certs(kv) -> CertificateClient:
    return CertificateClient(kvw.vault_url(kv), kvw.credential(kv, "kv-admin"), transport=kvw.transport(kv))


def crypto(kv, key_or_id, app="kv-admin") -> CryptographyClient:
    return CryptographyClient(key_or_id, kvw.credential(kv, app), transport=kvw.transport(kv))


def rsa_public(jwk) -> rsa.RSAPublicKey:
    n = int.from_bytes(jwk.n, "big")
    e = int.from_bytes(jwk.e, "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_rsa_key_sign_digest_verify_with_cryptography(kv):
    client = keys(kv)
    key = client.create_rsa_key(name("rsa"), size=2048)
    assert key.id.startswith(kvw.vault_url(kv) + "/keys/")
    assert key.key.kty == "RSA" and key.key.d is None
    digest = hashlib.sha256(b"message to sign").digest()
    result = crypto(kv, key).sign(SignatureAlgorithm.rs256, digest)
    assert result.key_id == key.id
    rsa_public(key.key).verify(result.signature, b"message to sign", padding.PKCS1v15(), hashes.SHA256())
    pss = crypto(kv, key.id).sign(SignatureAlgorithm.ps256, digest)
    rsa_public(key.key).verify(
        pss.signature, b"message to sign",
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256(),
    )
    assert crypto(kv, key.id).verify(SignatureAlgorithm.rs256, digest, result.signature).is_valid


def test_ec_key_signature_is_raw_r_s(kv):
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    key = keys(kv).create_ec_key(name("ec"), curve="P-384")
    digest = hashlib.sha384(b"ec message").digest()
    sig = crypto(kv, key.id).sign(SignatureAlgorithm.es384, digest).signature
    assert len(sig) == 96
    r, s = int.from_bytes(sig[:48], "big"), int.from_bytes(sig[48:], "big")
    x, y = int.from_bytes(key.key.x, "big"), int.from_bytes(key.key.y, "big")
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP384R1()).public_key()
    public.verify(utils.encode_dss_signature(r, s), b"ec message", ec.ECDSA(hashes.SHA384()))


def test_self_signed_certificate_signs_a_jwt_through_the_keys_api(kv):
    client = certs(kv)
    cert_name = name("jwt-client")
    # exportable=False alone is dropped by the SDK (it sends key_props only when a member is
    # truthy), so the key type goes with it.
    policy = CertificatePolicy(
        issuer_name="Self", subject="CN=jwt-client", exportable=False, key_type="RSA", key_size=2048,
        validity_in_months=12,
    )
    poller = client.begin_create_certificate(cert_name, policy)
    cert = poller.result()
    assert cert.name == cert_name and cert.cer
    assert cert.key_id == f"{kvw.vault_url(kv)}/keys/{cert_name}/{cert.properties.version}"
    op = client.get_certificate_operation(cert_name)
    assert op.status.lower() == "completed"
    x5t = harness.b64url(cert.properties.x509_thumbprint)
    assert x5t == harness.b64url(hashlib.sha1(cert.cer).digest())

    header = {"alg": "RS256", "typ": "JWT", "x5t": x5t}
    claims = {"aud": "https://partner.example/token", "iss": "client", "sub": "client", "jti": str(uuid.uuid4())}
    signing_input = ".".join(harness.b64url(json.dumps(p, separators=(",", ":")).encode()) for p in (header, claims))
    digest = hashlib.sha256(signing_input.encode()).digest()
    signed = crypto(kv, cert.key_id).sign(SignatureAlgorithm.rs256, digest)
    token = signing_input + "." + harness.b64url(signed.signature)

    public = x509.load_der_x509_certificate(cert.cer).public_key()
    decoded = jwt.decode(token, public, algorithms=["RS256"], audience="https://partner.example/token")
    assert decoded["sub"] == "client"
    assert jwt.get_unverified_header(token)["x5t"] == x5t

    # Not exportable: the certificate's secret holds no private key.
    from azure.keyvault.secrets import SecretClient

    secrets = SecretClient(kvw.vault_url(kv), kvw.credential(kv, "kv-admin"), transport=kvw.transport(kv))
    secret = secrets.get_secret(cert_name)
    key, leaf, extra = pkcs12.load_key_and_certificates(base64.b64decode(secret.value), None)
    assert key is None
    # Without a key, OpenSSL reports the certificate among the "additional" ones.
    ders = [c.public_bytes(serialization.Encoding.DER) for c in [leaf, *extra] if c is not None]
    assert ders == [cert.cer]


def _pfx(legacy: bool) -> tuple[bytes, bytes]:
    cert = harness.make_cert("imported-" + ("legacy" if legacy else "modern"))
    key = serialization.load_pem_private_key(cert.key_pem.encode(), None)
    leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    if legacy:
        enc = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(b"pfx-password")
        )
    else:
        enc = serialization.BestAvailableEncryption(b"pfx-password")
    return pkcs12.serialize_key_and_certificates(b"imported", key, leaf, None, enc), cert.cert_der


@pytest.mark.parametrize("legacy", [False, True], ids=["aes", "legacy-3des"])
def test_import_pfx_made_by_cryptography(kv, legacy):
    client = certs(kv)
    pfx, der = _pfx(legacy)
    cert_name = name("imported")
    cert = client.import_certificate(cert_name, pfx, password="pfx-password")
    assert cert.cer == der
    assert cert.properties.x509_thumbprint == hashlib.sha1(der).digest()
    digest = hashlib.sha256(b"imported").digest()
    sig = crypto(kv, cert.key_id).sign(SignatureAlgorithm.rs256, digest).signature
    x509.load_der_x509_certificate(der).public_key().verify(sig, b"imported", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(HttpResponseError) as e:
        client.import_certificate(name("badpw"), pfx, password="wrong")
    assert e.value.status_code == 400


def test_pem_certificate_content_type(kv):
    client = certs(kv)
    policy = CertificatePolicy(issuer_name="Self", subject="CN=pem", content_type=CertificateContentType.pem)
    cert = client.begin_create_certificate(name("pem"), policy).result()
    assert cert.policy.content_type == CertificateContentType.pem


def test_world_seeded_objects_and_scoped_role(kv):
    signer_keys = keys(kv, "kv-signer")
    key = signer_keys.get_key("signing")
    digest = hashlib.sha256(b"scoped").digest()
    sig = crypto(kv, key.id, "kv-signer").sign(SignatureAlgorithm.rs256, digest).signature
    rsa_public(key.key).verify(sig, b"scoped", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(HttpResponseError) as e:
        signer_keys.create_rsa_key(name("not-allowed"))
    assert e.value.status_code == 403
    assert "ForbiddenByRbac" in e.value.response.text()
    cert = certs(kv).get_certificate("seeded-cert")
    assert cert.policy.exportable is False


def test_key_delete_recover_and_missing_key(kv):
    client = keys(kv)
    key_name = name("del")
    client.create_ec_key(key_name)
    deleted = client.begin_delete_key(key_name).result()
    assert deleted.recovery_id == f"{kvw.vault_url(kv)}/deletedkeys/{key_name}"
    assert client.get_deleted_key(key_name).name == key_name
    with pytest.raises(ResourceNotFoundError):
        client.get_key(key_name)
    recovered = client.begin_recover_deleted_key(key_name).result()
    assert recovered.name == key_name
    client.begin_delete_key(key_name).result()
    client.purge_deleted_key(key_name)
    with pytest.raises(ResourceNotFoundError):
        client.get_deleted_key(key_name)
