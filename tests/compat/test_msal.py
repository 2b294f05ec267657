"""msal's ConfidentialClientApplication, with default options, against Skybridge."""

import msal
import pytest

from harness import SECRET, sent_assertion, verify_v2

SCOPES = ["api://orders/.default"]


def app(sky, credential, tenant=None):
    return msal.ConfidentialClientApplication(
        sky.client_id("client-app"),
        client_credential=credential,
        authority=f"{sky.authority}/{tenant or sky.tenant_id('partner')}",
        instance_discovery=False,
    )


def acquire(application) -> str:
    result = application.acquire_token_for_client(SCOPES)
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert isinstance(result["expires_in"], int) and result["expires_in"] > 3000
    assert result["token_source"] == "identity_provider"
    return result["access_token"]


def test_secret(sky):
    application = app(sky, SECRET)
    token = acquire(application)
    verify_v2(sky, token, acr="1")
    # msal caches the token it understood; the second call never reaches the server.
    again = application.acquire_token_for_client(SCOPES)
    assert again["access_token"] == token
    assert again["token_source"] == "cache"


@pytest.mark.parametrize("tenant", ["partner", "partner.onmicrosoft.com"])
def test_tenant_by_name_or_domain(sky, tenant, wire):
    token = acquire(app(sky, SECRET, tenant=tenant))
    claims = verify_v2(sky, token, acr="1")
    assert claims["tid"] == sky.tenant_id("partner")
    # msal posts to the token_endpoint of the discovery document, which names the GUID.
    posts = [r.url for r in wire if r.method == "POST"]
    assert posts == [sky.token_url(sky.tenant_id("partner"))]


def test_certificate_by_sha1_thumbprint(sky, certs, wire):
    cert = certs["client"]
    credential = {"private_key": cert.key_pem, "thumbprint": cert.sha1_hex}
    token = acquire(app(sky, credential))
    verify_v2(sky, token, acr="2")
    header, claims = sent_assertion(wire)
    # msal 1.39 with a thumbprint: RS256 and a *padded* base64url SHA-1 x5t, no x5c.
    assert header["alg"] == "RS256"
    assert header["x5t"].rstrip("=") == cert.x5t
    assert "x5c" not in header and "x5t#S256" not in header
    assert claims["aud"] == sky.token_url(sky.tenant_id("partner"))
    assert claims["iss"] == claims["sub"] == sky.client_id("client-app")


def test_certificate_with_public_certificate(sky, certs, wire):
    cert = certs["client"]
    credential = {"private_key": cert.key_pem, "public_certificate": cert.cert_pem}
    token = acquire(app(sky, credential))
    verify_v2(sky, token, acr="2")
    header, claims = sent_assertion(wire)
    # msal 1.39 with only the certificate: PS256, x5t#S256 (padded), no x5t, and an x5c whose
    # entry keeps the PEM's line breaks.
    assert header["alg"] == "PS256"
    assert header["x5t#S256"].rstrip("=") == cert.x5t_s256
    assert "x5t" not in header
    assert [("".join(c.split())) for c in header["x5c"]] == [cert.x5c]
    assert claims["aud"] == sky.token_url(sky.tenant_id("partner"))


def test_certificate_with_thumbprint_and_public_certificate(sky, certs, wire):
    """Subject-name/issuer style: an explicit thumbprint plus the chain. msal falls back to
    RS256 + x5t and still sends x5c."""
    cert = certs["client"]
    credential = {
        "private_key": cert.key_pem,
        "thumbprint": cert.sha1_hex,
        "public_certificate": cert.cert_pem,
    }
    token = acquire(app(sky, credential))
    verify_v2(sky, token, acr="2")
    header, _ = sent_assertion(wire)
    assert header["alg"] == "RS256"
    assert header["x5t"].rstrip("=") == cert.x5t
    assert [("".join(c.split())) for c in header["x5c"]] == [cert.x5c]


def test_secret_and_certificate_tokens_name_the_same_principal(sky, certs):
    cert = certs["client"]
    by_secret = verify_v2(sky, acquire(app(sky, SECRET)), acr="1")
    by_cert = verify_v2(
        sky,
        acquire(app(sky, {"private_key": cert.key_pem, "thumbprint": cert.sha1_hex})),
        acr="2",
    )
    assert by_secret["oid"] == by_cert["oid"]
    assert by_secret["uti"] != by_cert["uti"]
