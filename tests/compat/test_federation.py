"""Workload identity federation across tenants: a managed identity of home (orders-uami) cannot
get a token for partner's orders-api, but its token for api://AzureADTokenExchange is a client
assertion for fic-app, a multi-tenant app homed in home that trusts it and is provisioned into
partner. Through azure-identity's ClientAssertionCredential and msal, then by raw requests, with
each way a federated credential can fail to match."""

import jwt
import msal
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential, ManagedIdentityCredential

from harness import (
    JWT_BEARER,
    TOKEN_EXCHANGE,
    TOKEN_EXCHANGE_APP_ID,
    assert_aad_error,
    mi_get,
    sent_assertion,
    sent_identity_requests,
    sent_token_requests,
    verify_token,
)

SCOPE = "api://orders/.default"


def verify_partner(sky, token) -> dict:
    """A partner v2 token for orders-api issued to fic-app on a federated credential."""
    tid = sky.tenant_id("partner")
    doc = sky.discovery(tid)
    c = verify_token(
        token, jwks_uri=doc["jwks_uri"], issuer=doc["issuer"], audience=sky.client_id("orders-api"), ca=sky.ca
    ).claims
    assert c["iss"] == f"{sky.authority}/{tid}/v2.0"
    assert c["tid"] == tid
    assert c["aud"] == sky.client_id("orders-api")
    assert c["azp"] == sky.app_id("home/fic-app")
    assert c["azpacr"] == "2"  # a client assertion, like a certificate
    assert c["ver"] == "2.0"
    assert c["roles"] == ["Orders.Read"]
    # fic-app's service principal in partner, not the identity behind the assertion.
    assert c["oid"] not in (sky.app_id("home/fic-app"), sky.identity("orders-uami")["principal_id"])
    for absent in ("xms_mirid", "appid", "appidacr", "idp"):
        assert absent not in c, absent
    return c


def exchange_token(sky, identity="orders-uami", target=TOKEN_EXCHANGE) -> str:
    """A managed-identity token by a raw IMDS request from orders-sync."""
    selector = {} if identity == "orders-sync" else {"client_id": sky.identity(identity)["client_id"]}
    r = mi_get(sky, "orders-sync", "imds", target=target, **selector)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def federated_post(sky, client, assertion, tenant="partner", scope=SCOPE, **kwargs):
    return sky.post(
        sky.token_url(sky.tenant_id(tenant)),
        data={
            "grant_type": "client_credentials",
            "client_id": client,
            "client_assertion": assertion,
            "client_assertion_type": JWT_BEARER,
            "scope": scope,
        },
        **kwargs,
    )


# --- through the SDKs ---------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["app_service", "imds"])
def test_client_assertion_credential_from_managed_identity(sky, identity_env, wire, protocol):
    identity_env("orders-sync", protocol)
    uami = sky.identity("orders-uami")
    managed = ManagedIdentityCredential(client_id=uami["client_id"])
    calls = []

    def assertion():
        calls.append(managed.get_token(f"{TOKEN_EXCHANGE}/.default").token)
        return calls[-1]

    credential = ClientAssertionCredential(
        sky.tenant_id("partner"),
        sky.app_id("home/fic-app"),
        assertion,
        authority=sky.authority,
        disable_instance_discovery=True,
    )
    token = credential.get_token(SCOPE)
    verify_partner(sky, token.token)
    assert len(calls) == 1

    # What went over the wire: one identity request for the exchange audience...
    (mi_request,) = sent_identity_requests(wire)
    assert mi_request[2]["resource"] == TOKEN_EXCHANGE
    assert mi_request[2]["client_id"] == uami["client_id"]
    # ...and one POST to partner carrying the identity's token as the client assertion.
    (form,) = sent_token_requests(wire)
    assert form == {
        "grant_type": "client_credentials",
        "client_id": sky.app_id("home/fic-app"),
        "scope": SCOPE,
        "client_assertion": calls[0],
        "client_assertion_type": JWT_BEARER,
    }
    header, claims = sent_assertion(wire)
    assert header["alg"] == "RS256"
    assert claims["iss"] == f"{sky.authority}/{sky.tenant_id('home')}/v2.0"
    assert claims["sub"] == claims["oid"] == uami["principal_id"]
    assert claims["aud"] == TOKEN_EXCHANGE_APP_ID
    assert claims["azp"] == uami["client_id"]


def test_msal_client_assertion_callback_from_managed_identity(sky, identity_env):
    identity_env("orders-sync", "imds")
    uami = sky.identity("orders-uami")
    managed = msal.ManagedIdentityClient(
        msal.UserAssignedManagedIdentity(client_id=uami["client_id"]), http_client=requests.Session()
    )

    def assertion():
        result = managed.acquire_token_for_client(resource=TOKEN_EXCHANGE)
        assert "access_token" in result, result
        return result["access_token"]

    app = msal.ConfidentialClientApplication(
        sky.app_id("home/fic-app"),
        client_credential={"client_assertion": assertion},
        authority=f"{sky.authority}/{sky.tenant_id('partner')}",
        instance_discovery=False,
    )
    result = app.acquire_token_for_client([SCOPE])
    assert "access_token" in result, result
    assert result["token_source"] == "identity_provider"
    verify_partner(sky, result["access_token"])


def test_client_assertion_credential_refused_on_audience(sky, identity_env):
    """other-audience-app trusts the same issuer and subject for another audience."""
    identity_env("orders-sync", "imds")
    managed = ManagedIdentityCredential(client_id=sky.identity("orders-uami")["client_id"])
    credential = ClientAssertionCredential(
        sky.tenant_id("partner"),
        sky.app_id("home/other-audience-app"),
        lambda: managed.get_token(f"{TOKEN_EXCHANGE}/.default").token,
        authority=sky.authority,
        disable_instance_discovery=True,
    )
    with pytest.raises(ClientAuthenticationError) as info:
        credential.get_token(SCOPE)
    assert "AADSTS700212" in str(info.value)


# --- raw ----------------------------------------------------------------------------------------


def test_federated_raw_response(sky):
    r = federated_post(sky, sky.app_id("home/fic-app"), exchange_token(sky))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["token_type"] == "Bearer" and isinstance(body["expires_in"], int)
    verify_partner(sky, body["access_token"])


def test_federated_credential_in_the_home_tenant_and_on_v1(sky):
    """The credential belongs to the app, so it works in every tenant holding the app's service
    principal, and on the v1 endpoint (`resource=`) too."""
    fic = sky.app_id("home/fic-app")
    assertion = exchange_token(sky)
    # Home, where fic-app is registered: a v2 token for home-api, no role granted there.
    r = federated_post(sky, fic, assertion, tenant="home", scope="api://home/.default")
    assert r.status_code == 200, r.text
    tid = sky.tenant_id("home")
    doc = sky.discovery(tid)
    c = verify_token(
        r.json()["access_token"], jwks_uri=doc["jwks_uri"], issuer=doc["issuer"],
        audience=sky.app_id("home/home-api"), ca=sky.ca,
    ).claims
    assert c["tid"] == tid and c["azp"] == fic and c["azpacr"] == "2" and "roles" not in c
    # Partner's v1 endpoint: the v1 response shape around a v2 token (orders-api is v2).
    r = sky.post(
        sky.token_url(sky.tenant_id("partner"), v1=True),
        data={
            "grant_type": "client_credentials",
            "client_id": fic,
            "client_assertion": assertion,
            "client_assertion_type": JWT_BEARER,
            "resource": "api://orders",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["resource"] == "api://orders" and isinstance(r.json()["expires_in"], str)
    verify_partner(sky, r.json()["access_token"])


def test_managed_identity_cannot_reach_partner_directly(sky):
    """Why the chain exists: the identity asking for api://orders itself is refused."""
    r = mi_get(sky, "orders-sync", "imds", target="api://orders", client_id=sky.identity("orders-uami")["client_id"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_resource", r.text
    assert r.json()["error_description"].startswith("AADSTS500011: ")


def mismatch(sky, case):
    """(client app, assertion, code, text the description names) per mismatch."""
    uami = sky.identity("orders-uami")
    fic = sky.app_id("home/fic-app")
    home_v2 = f"{sky.authority}/{sky.tenant_id('home')}/v2.0"
    if case == "subject":
        # orders-sync's system-assigned identity: right issuer and audience, other subject.
        system = sky.identity("orders-sync")
        return fic, exchange_token(sky, "orders-sync"), 700213, system["principal_id"]
    if case == "issuer":
        # A Key Vault token of the uami is a v1 token: iss on sts., not the v2 issuer.
        return fic, exchange_token(sky, target="https://vault.azure.net"), 700211, sky.v1_issuer(sky.tenant_id("home"))
    if case == "audience-configured":
        return sky.app_id("home/other-audience-app"), exchange_token(sky), 700212, TOKEN_EXCHANGE_APP_ID
    if case == "audience-presented":
        # The uami's v2 token for home-api: right issuer and subject, aud = home-api.
        return fic, exchange_token(sky, target="api://home"), 700212, sky.app_id("home/home-api")
    if case == "no-credentials":
        # client-app has certificates and a secret, but no federated credential.
        return sky.client_id("client-app"), exchange_token(sky), 70021, home_v2
    if case == "subject-case":
        # case-app's credential names the uami's principal id in upper case.
        return sky.app_id("home/case-app"), exchange_token(sky), 7002138, uami["principal_id"]
    raise ValueError(case)


@pytest.mark.parametrize(
    "case",
    ["subject", "issuer", "audience-configured", "audience-presented", "no-credentials", "subject-case"],
)
def test_federated_mismatch(sky, case):
    client, assertion, code, named = mismatch(sky, case)
    r = federated_post(sky, client, assertion, headers={"client-request-id": "0d9a1b7e-4a55-4b6f-8f1e-3c2d1a0b9e8f"})
    body = assert_aad_error(r, 401, "invalid_client", code)
    assert named in body["error_description"], body["error_description"]
    assert body["correlation_id"] == "0d9a1b7e-4a55-4b6f-8f1e-3c2d1a0b9e8f"


def test_forged_signature_is_refused(sky):
    """The uami's claims under another token's signature: matched, then refused on the key."""
    genuine = exchange_token(sky)
    other = exchange_token(sky, target="api://home")
    head, payload, _ = genuine.split(".")
    forged = ".".join([head, payload, other.split(".")[2]])
    claims = jwt.decode(forged, options={"verify_signature": False})
    assert claims["sub"] == sky.identity("orders-uami")["principal_id"]
    r = federated_post(sky, sky.app_id("home/fic-app"), forged)
    assert_aad_error(r, 401, "invalid_client", None)
    assert "access_token" not in r.json()
