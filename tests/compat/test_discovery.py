"""OpenID discovery documents and JWKS, as MSAL and resource servers read them."""

import base64
import hashlib
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import DOMAIN, b64url

REQUIRED = ("authorization_endpoint", "token_endpoint", "issuer", "jwks_uri")


def tenant_segments(sky):
    tid = sky.tenant_id("partner")
    return {"guid": tid, "name": "partner", "domain": "partner.onmicrosoft.com"}


@pytest.mark.parametrize("form", ["guid", "name", "domain"])
def test_v2_document_names_the_tenant_by_guid(sky, form):
    tid = sky.tenant_id("partner")
    doc = sky.discovery(tenant_segments(sky)[form])
    for member in REQUIRED:
        assert doc[member], member
    base = f"{sky.authority}/{tid}"
    assert doc["issuer"] == f"{base}/v2.0" == sky.endpoints["tenants"]["partner"]["issuer"]
    assert doc["token_endpoint"] == f"{base}/oauth2/v2.0/token"
    assert doc["token_endpoint"] == sky.endpoints["tenants"]["partner"]["token_endpoint"]
    assert doc["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
    assert doc["jwks_uri"] == f"{base}/discovery/v2.0/keys"
    assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]
    assert "client_secret_post" in doc["token_endpoint_auth_methods_supported"]


@pytest.mark.parametrize("form", ["guid", "name", "domain"])
def test_v1_document(sky, form):
    tid = sky.tenant_id("partner")
    doc = sky.discovery(tenant_segments(sky)[form], v1=True)
    for member in REQUIRED:
        assert doc[member], member
    assert doc["issuer"] == f"https://sts.{DOMAIN}:{sky.port}/{tid}/"
    assert doc["token_endpoint"] == f"{sky.authority}/{tid}/oauth2/token"
    assert doc["jwks_uri"] == f"{sky.authority}/{tid}/discovery/keys"


def test_tenants_are_distinct(sky):
    home = sky.discovery("home")
    partner = sky.discovery("partner")
    assert home["issuer"] != partner["issuer"]
    assert sky.tenant_id("home") in home["token_endpoint"]
    uuid.UUID(sky.tenant_id("home"))


@pytest.mark.parametrize("v1", [False, True], ids=["v2", "v1"])
def test_jwks_keys_are_entra_shaped(sky, v1):
    jwks = sky.jwks("partner", v1=v1)
    keys = jwks["keys"]
    # A fresh tenant publishes its current key and the next one.
    assert len(keys) == 2, keys
    for k in keys:
        assert k["kty"] == "RSA" and k["use"] == "sig"
        assert k["kid"] == k["x5t"]
        der = base64.b64decode(k["x5c"][0])
        assert k["x5t"] == b64url(hashlib.sha1(der).digest())
        # The certificate's key is the JWK's key.
        public = x509.load_der_x509_certificate(der).public_key()
        assert isinstance(public, rsa.RSAPublicKey)
        numbers = public.public_numbers()
        n = int.from_bytes(base64.urlsafe_b64decode(k["n"] + "=="), "big")
        e = int.from_bytes(base64.urlsafe_b64decode(k["e"] + "=="), "big")
        assert (n, e) == (numbers.n, numbers.e)
        assert numbers.n.bit_length() >= 2048
        if not v1:
            assert k["issuer"] == sky.discovery("partner")["issuer"]
    v2_kids = [k["kid"] for k in sky.jwks("partner")["keys"]]
    assert [k["kid"] for k in keys] == v2_kids


def test_tenants_have_their_own_keys(sky):
    home = {k["kid"] for k in sky.jwks("home")["keys"]}
    partner = {k["kid"] for k in sky.jwks("partner")["keys"]}
    assert not home & partner
