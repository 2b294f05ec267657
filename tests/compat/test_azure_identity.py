"""azure-identity credentials, with default options apart from the authority, against Skybridge."""

import time

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential, ClientSecretCredential

from harness import SECRET, make_assertion, sent_assertion, verify_v2

SCOPE = "api://orders/.default"


def check(sky, access_token, acr):
    now = time.time()
    assert 3000 < access_token.expires_on - now <= 5400 + 60
    return verify_v2(sky, access_token.token, acr=acr)


@pytest.mark.parametrize("tenant", ["guid", "partner"])
def test_client_secret_credential(sky, tenant):
    tenant_id = sky.tenant_id("partner") if tenant == "guid" else tenant
    credential = ClientSecretCredential(
        tenant_id,
        sky.client_id("client-app"),
        SECRET,
        authority=sky.authority,
        disable_instance_discovery=True,
    )
    check(sky, credential.get_token(SCOPE), acr="1")


def test_client_secret_credential_token_info(sky):
    credential = ClientSecretCredential(
        sky.tenant_id("partner"),
        sky.client_id("client-app"),
        SECRET,
        authority=sky.authority,
        disable_instance_discovery=True,
    )
    info = credential.get_token_info(SCOPE)
    assert info.token_type == "Bearer"
    verify_v2(sky, info.token, acr="1")


@pytest.mark.parametrize("tenant", ["guid", "partner"])
def test_certificate_credential(sky, certs, wire, tenant):
    cert = certs["client"]
    tenant_id = sky.tenant_id("partner") if tenant == "guid" else tenant
    credential = CertificateCredential(
        tenant_id,
        sky.client_id("client-app"),
        certificate_data=cert.key_and_cert_pem,
        authority=sky.authority,
        disable_instance_discovery=True,
    )
    check(sky, credential.get_token(SCOPE), acr="2")
    header, claims = sent_assertion(wire)
    # azure-identity 1.27 hands msal a SHA-1 thumbprint: RS256 + padded x5t.
    assert header["alg"] == "RS256"
    assert header["x5t"].rstrip("=") == cert.x5t
    assert "x5c" not in header
    assert claims["aud"] == sky.token_url(sky.tenant_id("partner"))


def test_certificate_credential_with_chain(sky, certs, wire):
    cert = certs["client"]
    credential = CertificateCredential(
        sky.tenant_id("partner"),
        sky.client_id("client-app"),
        certificate_data=cert.key_and_cert_pem,
        send_certificate_chain=True,
        authority=sky.authority,
        disable_instance_discovery=True,
    )
    check(sky, credential.get_token(SCOPE), acr="2")
    header, _ = sent_assertion(wire)
    # send_certificate_chain adds x5c (line breaks kept) but stays RS256 + x5t.
    assert header["alg"] == "RS256"
    assert header["x5t"].rstrip("=") == cert.x5t
    assert [("".join(c.split())) for c in header["x5c"]] == [cert.x5c]


@pytest.mark.parametrize("tenant", ["guid", "partner"])
def test_client_assertion_credential(sky, certs, wire, tenant):
    cert = certs["client"]
    tenant_id = sky.tenant_id("partner") if tenant == "guid" else tenant
    client_id = sky.client_id("client-app")
    calls = []

    def assertion():
        calls.append(1)
        return make_assertion(cert, client_id=client_id, audience=sky.token_url(tenant_id))

    credential = ClientAssertionCredential(
        tenant_id, client_id, assertion, authority=sky.authority, disable_instance_discovery=True
    )
    check(sky, credential.get_token(SCOPE), acr="2")
    assert calls == [1]
    header, claims = sent_assertion(wire)
    assert header == {"alg": "RS256", "typ": "JWT", "x5t": cert.x5t}
    assert claims["iss"] == claims["sub"] == client_id


def test_wrong_secret_raises_client_authentication_error(sky):
    credential = ClientSecretCredential(
        sky.tenant_id("partner"),
        sky.client_id("client-app"),
        "not-the-secret-of-this-app",
        authority=sky.authority,
        disable_instance_discovery=True,
    )
    with pytest.raises(ClientAuthenticationError) as info:
        credential.get_token(SCOPE)
    assert "AADSTS7000215" in str(info.value)


def test_unregistered_certificate_raises(sky, certs):
    other = certs["other"]
    credential = CertificateCredential(
        sky.tenant_id("partner"),
        sky.client_id("client-app"),
        certificate_data=other.key_and_cert_pem,
        authority=sky.authority,
        disable_instance_discovery=True,
    )
    with pytest.raises(ClientAuthenticationError) as info:
        credential.get_token(SCOPE)
    assert "AADSTS700027" in str(info.value)
    assert other.sha1_hex.upper() in str(info.value)
