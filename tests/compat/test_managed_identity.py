"""Managed identities through Microsoft's SDKs: azure-identity's ManagedIdentityCredential and
msal's ManagedIdentityClient, configured only by environment variables as on Azure: the App
Service protocol (IDENTITY_ENDPOINT + IDENTITY_HEADER) and the IMDS protocol
(AZURE_POD_IDENTITY_AUTHORITY_HOST). The caller is the resource orders-sync, with its
system-assigned identity and the user-assigned orders-uami; uami-host carries only orders-uami.
Tokens are verified with PyJWT against the home tenant's keys. The raw responses behind these
results are pinned in test_managed_identity_raw.py."""

import time
import uuid
from urllib.parse import quote

import msal
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CredentialUnavailableError, ManagedIdentityCredential

from harness import MI_TOKEN_LIFETIME, sent_identity_requests, verify_mi

PROTOCOLS = ["app_service", "imds"]
VAULT = "https://vault.azure.net"
HOME_API = "api://home"
# The app role each identity holds on home-api (see the world in harness.py).
HOME_ROLES = {"system": ["Home.Read"], "user": ["Home.Write"]}


def named(sky, identity):
    """(client_id to ask with, the endpoints.json entry the token must name)."""
    if identity == "system":
        return None, sky.identity("orders-sync")
    uami = sky.identity("orders-uami")
    return uami["client_id"], uami


def expected(sky, resource, identity):
    """(aud, v1?, roles) of the token: Key Vault is a v1 resource (aud as requested, no roles
    granted); home-api is v2 (aud = its client id) with the identity's role."""
    if resource == VAULT:
        return VAULT, True, None
    return sky.app_id("home/home-api"), False, HOME_ROLES[identity]


def check_sent(sky, wire, protocol, resource, caller="orders-sync", count=1, **selector):
    """The SDK sent `count` identity requests; the last one is spelled as the protocol says."""
    sent = sent_identity_requests(wire)
    assert len(sent) == count, sent
    method, url, params, headers = sent[-1]
    entry = sky.identity(caller)
    assert method == "GET"
    # azure-core leaves the resource's ':' and '/' unescaped in the query; requests (msal's own
    # client) escapes them. The server reads both.
    raw = [r.url for r in wire if r.url.startswith("http://")][-1]
    escaped = quote(resource, safe="")
    if headers["User-Agent"].startswith("azsdk-python-identity/"):
        assert f"resource={resource}" in raw, raw
    else:
        assert f"resource={escaped}" in raw, raw
    if protocol == "app_service":
        assert url == entry["identity_endpoint"]
        assert params == {"api-version": "2019-08-01", "resource": resource, **selector}
        assert headers["X-IDENTITY-HEADER"] == entry["identity_header"]
        # msal sends Metadata: true on App Service too ("unnecessary yet harmless").
        assert headers["Metadata"] == "true"
    else:
        # AZURE_POD_IDENTITY_AUTHORITY_HOST + the path without a trailing slash.
        assert url == entry["imds_endpoint"] + "/metadata/identity/oauth2/token"
        assert params == {"api-version": "2018-02-01", "resource": resource, **selector}
        assert headers["Metadata"] == "true"
        assert "X-IDENTITY-HEADER" not in headers
        uuid.UUID(headers["x-ms-client-request-id"])
        assert headers["x-client-SKU"] and headers["x-client-Ver"] == msal.__version__


# --- azure-identity -----------------------------------------------------------------------------


@pytest.mark.parametrize("resource", [VAULT, HOME_API], ids=["vault-v1", "home-api-v2"])
@pytest.mark.parametrize("identity", ["system", "user"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_managed_identity_credential(sky, identity_env, wire, protocol, identity, resource):
    identity_env("orders-sync", protocol)
    client_id, entry = named(sky, identity)
    credential = ManagedIdentityCredential(client_id=client_id)
    before = time.time()
    token = credential.get_token(f"{resource}/.default")
    assert MI_TOKEN_LIFETIME - 600 <= token.expires_on - before <= MI_TOKEN_LIFETIME + 60
    audience, v1, roles = expected(sky, resource, identity)
    verify_mi(sky, token.token, identity=entry, audience=audience, v1=v1, roles=roles)
    # The scope's "/.default" is cut off; a user-assigned identity is named by client_id.
    check_sent(sky, wire, protocol, resource, **({"client_id": client_id} if client_id else {}))
    # msal's cache inside the credential answers the second call.
    again = credential.get_token(f"{resource}/.default")
    assert again.token == token.token
    assert len(sent_identity_requests(wire)) == 1


@pytest.mark.parametrize("selector", ["object_id", "resource_id"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_identity_config_selects_the_user_assigned_identity(sky, identity_env, wire, protocol, selector):
    identity_env("orders-sync", protocol)
    uami = sky.identity("orders-uami")
    value = uami["principal_id"] if selector == "object_id" else uami["resource_id"]
    credential = ManagedIdentityCredential(identity_config={selector: value})
    token = credential.get_token(f"{HOME_API}/.default")
    verify_mi(sky, token.token, identity=uami, audience=sky.app_id("home/home-api"), v1=False, roles=["Home.Write"])
    # msal names a resource id msi_res_id on IMDS and mi_res_id on App Service.
    wire_name = {"object_id": "object_id", "resource_id": "mi_res_id" if protocol == "app_service" else "msi_res_id"}
    check_sent(sky, wire, protocol, HOME_API, **{wire_name[selector]: value})


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_token_info_refreshes_at_half_life(sky, identity_env, protocol):
    identity_env("orders-sync", protocol)
    before = time.time()
    info = ManagedIdentityCredential().get_token_info(f"{VAULT}/.default")
    assert info.token_type == "Bearer"
    # msal 1.39 schedules a refresh at half the lifetime of tokens living two hours or more.
    assert info.refresh_on is not None
    assert abs(info.refresh_on - (before + (info.expires_on - before) / 2)) < 60
    verify_mi(sky, info.token, identity=sky.identity("orders-sync"), audience=VAULT, v1=True)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_resource_with_only_a_user_assigned_identity(sky, identity_env, wire, protocol):
    """uami-host has no system-assigned identity. IMDS then hands out its only user-assigned
    identity when none is named (the quirk msal documents); App Service refuses."""
    identity_env("uami-host", protocol)
    uami = sky.identity("orders-uami")
    # Named by client id, both protocols serve it.
    token = ManagedIdentityCredential(client_id=uami["client_id"]).get_token(f"{VAULT}/.default")
    verify_mi(sky, token.token, identity=uami, audience=VAULT, v1=True)
    credential = ManagedIdentityCredential()
    if protocol == "imds":
        token = credential.get_token(f"{VAULT}/.default")
        verify_mi(sky, token.token, identity=uami, audience=VAULT, v1=True)
    else:
        with pytest.raises(CredentialUnavailableError) as info:
            credential.get_token(f"{VAULT}/.default")
        assert "400, No managed identity is assigned to this resource" in str(info.value)
    # The second request names no identity at all.
    check_sent(sky, wire, protocol, VAULT, caller="uami-host", count=2)


# --- azure-identity: refusals -------------------------------------------------------------------
# azure-identity 1.27 hands both protocols to msal, which turns an error body into an error
# result; azure-identity raises that as CredentialUnavailableError (a ClientAuthenticationError)
# whatever the status. msal's App Service path reports every failure as
# "(invalid_scope) <statusCode>, <message>"; its IMDS path passes the body's error through.


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_api_of_another_tenant_is_refused(sky, identity_env, protocol):
    """An identity gets tokens from its home tenant only: api://orders lives in partner."""
    identity_env("orders-sync", protocol)
    with pytest.raises(ClientAuthenticationError) as info:
        ManagedIdentityCredential().get_token("api://orders/.default")
    assert type(info.value) is CredentialUnavailableError
    message = str(info.value)
    if protocol == "imds":
        assert "Token request error: (invalid_resource) AADSTS500011: " in message, message
    else:
        assert "Token request error: (invalid_scope) 400, AADSTS500011: " in message, message
    assert "The resource principal named api://orders was not found in the tenant named home" in message


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unknown_client_id_is_refused(sky, identity_env, protocol):
    identity_env("orders-sync", protocol)
    with pytest.raises(CredentialUnavailableError) as info:
        ManagedIdentityCredential(client_id=str(uuid.uuid4())).get_token(f"{VAULT}/.default")
    expected_text = "(invalid_request) Identity not found" if protocol == "imds" else "400, Identity not found"
    assert expected_text in str(info.value)


def test_wrong_identity_header_is_refused(sky, identity_env, monkeypatch):
    identity_env("orders-sync", "app_service")
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-header-of-any-resource")
    with pytest.raises(CredentialUnavailableError) as info:
        ManagedIdentityCredential().get_token(f"{VAULT}/.default")
    assert "401, The request did not carry a valid X-IDENTITY-HEADER" in str(info.value)


# --- msal ---------------------------------------------------------------------------------------


def msal_identity(sky, identity):
    if identity == "system":
        return msal.SystemAssignedManagedIdentity()
    return msal.UserAssignedManagedIdentity(client_id=sky.identity("orders-uami")["client_id"])


@pytest.mark.parametrize("resource", [VAULT, HOME_API], ids=["vault-v1", "home-api-v2"])
@pytest.mark.parametrize("identity", ["system", "user"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_msal_managed_identity_client(sky, identity_env, wire, protocol, identity, resource):
    identity_env("orders-sync", protocol)
    client_id, entry = named(sky, identity)
    client = msal.ManagedIdentityClient(msal_identity(sky, identity), http_client=requests.Session())
    result = client.acquire_token_for_client(resource=resource)
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert result["resource"] == resource
    # msal turns the protocol's string numbers into an int expires_in (from expires_on on App
    # Service, from expires_in on IMDS).
    assert isinstance(result["expires_in"], int)
    assert MI_TOKEN_LIFETIME - 600 <= result["expires_in"] <= MI_TOKEN_LIFETIME + 60
    assert result["token_source"] == "identity_provider"
    audience, v1, roles = expected(sky, resource, identity)
    verify_mi(sky, result["access_token"], identity=entry, audience=audience, v1=v1, roles=roles)
    check_sent(sky, wire, protocol, resource, **({"client_id": client_id} if client_id else {}))
    again = client.acquire_token_for_client(resource=resource)
    assert again["access_token"] == result["access_token"]
    assert again["token_source"] == "cache"
    assert len(sent_identity_requests(wire)) == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_msal_api_of_another_tenant(sky, identity_env, protocol):
    """msal does not raise: it returns the error as a dict."""
    identity_env("orders-sync", protocol)
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=requests.Session())
    result = client.acquire_token_for_client(resource="api://orders")
    assert "access_token" not in result, result
    if protocol == "imds":
        assert result["error"] == "invalid_resource", result
        assert result["error_description"].startswith("AADSTS500011: "), result
    else:
        assert result["error"] == "invalid_scope", result
        assert result["error_description"].startswith("400, AADSTS500011: "), result
