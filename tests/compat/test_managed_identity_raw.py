"""The managed-identity endpoints by raw requests: what endpoints.json tells a process, the exact
response shapes of the App Service and IMDS protocols (numbers as strings, both expiry fields,
client_id), how an identity is chosen, the per-(identity, resource) token cache, and each
protocol's error shape."""

import time
import uuid
from urllib.parse import urlsplit

import pytest

from harness import MI_TOKEN_LIFETIME, TOKEN_EXCHANGE, TOKEN_EXCHANGE_APP_ID, UAMI_PRINCIPAL_ID, mi_get, verify_mi

PROTOCOLS = ["app_service", "imds"]
VAULT = "https://vault.azure.net"
NUMBERS = ("expires_in", "expires_on", "ext_expires_in", "not_before")


def resource_id(sky, provider, name):
    # The subscription defaults to the tenant id, the resource group to "skybridge".
    return f"/subscriptions/{sky.tenant_id('home')}/resourcegroups/skybridge/providers/{provider}/{name}"


def test_endpoints_json_lists_identities(sky):
    mi = sky.endpoints["managed_identities"]
    assert set(mi) == {"orders-sync", "uami-host", "orders-uami"}
    resource_keys = {
        "kind", "tenant", "client_id", "principal_id", "resource_id",
        "identity_endpoint", "identity_header", "imds_endpoint",
    }

    sync = mi["orders-sync"]
    assert set(sync) == resource_keys
    assert sync["kind"] == "system" and sync["tenant"] == "home"
    uuid.UUID(sync["client_id"])
    uuid.UUID(sync["principal_id"])
    assert sync["resource_id"] == resource_id(sky, "Microsoft.Web/sites", "orders-sync")

    host = mi["uami-host"]
    assert set(host) == resource_keys
    assert host["kind"] == "resource" and host["tenant"] == "home"
    assert host["client_id"] is None and host["principal_id"] is None
    assert host["resource_id"] == resource_id(sky, "Microsoft.Compute/virtualMachines", "uami-host")

    uami = mi["orders-uami"]
    assert set(uami) == resource_keys | {"assigned_to"}
    assert uami["kind"] == "user" and uami["tenant"] == "home"
    uuid.UUID(uami["client_id"])
    assert uami["principal_id"] == UAMI_PRINCIPAL_ID  # fixed in the world
    assert uami["resource_id"] == resource_id(
        sky, "Microsoft.ManagedIdentity/userAssignedIdentities", "orders-uami"
    )
    assert uami["identity_endpoint"] is None and uami["identity_header"] is None and uami["imds_endpoint"] is None
    assert sorted(uami["assigned_to"]) == ["orders-sync", "uami-host"]

    # One plain-HTTP App Service endpoint on loopback for every resource (the header tells them
    # apart), and an IMDS listener of its own per resource, without a trailing slash.
    assert sync["identity_endpoint"] == host["identity_endpoint"]
    assert sync["identity_header"] != host["identity_header"]
    assert len(sync["identity_header"]) >= 32
    endpoint = urlsplit(sync["identity_endpoint"])
    assert (endpoint.scheme, endpoint.hostname, endpoint.path) == ("http", "127.0.0.1", "/msi/token")
    assert endpoint.port and endpoint.port != sky.port
    ports = {endpoint.port}
    for entry in (sync, host):
        imds = urlsplit(entry["imds_endpoint"])
        assert (imds.scheme, imds.hostname, imds.path) == ("http", "127.0.0.1", "")
        ports.add(imds.port)
    assert len(ports) == 3 and sky.port not in ports


# --- success ------------------------------------------------------------------------------------


def check_numbers(body):
    for member in NUMBERS:
        assert isinstance(body[member], str) and body[member].isdigit(), (member, body[member])
    now = time.time()
    assert body["ext_expires_in"] == body["expires_in"]
    assert MI_TOKEN_LIFETIME - 600 <= int(body["expires_in"]) <= MI_TOKEN_LIFETIME
    assert abs(int(body["expires_on"]) - (now + int(body["expires_in"]))) < 60
    assert int(body["not_before"]) <= now


def test_app_service_response_shape(sky):
    r = mi_get(sky, "orders-sync", "app_service", target=VAULT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {
        "access_token", "expires_in", "expires_on", "ext_expires_in", "not_before",
        "resource", "token_type", "client_id",
    }
    assert body["token_type"] == "Bearer"
    assert body["resource"] == VAULT
    assert body["client_id"] == sky.identity("orders-sync")["client_id"]
    check_numbers(body)
    claims = verify_mi(sky, body["access_token"], identity=sky.identity("orders-sync"), audience=VAULT, v1=True)
    assert claims["exp"] == int(body["expires_on"])
    assert claims["nbf"] == int(body["not_before"])


@pytest.mark.parametrize("path", ["/metadata/identity/oauth2/token", "/metadata/identity/oauth2/token/"],
                         ids=["no-slash", "trailing-slash"])
def test_imds_response_shape(sky, path):
    uami = sky.identity("orders-uami")
    r = mi_get(sky, "orders-sync", "imds", target=TOKEN_EXCHANGE, path=path, client_id=uami["client_id"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {
        "access_token", "expires_in", "expires_on", "ext_expires_in", "not_before",
        "resource", "token_type", "client_id", "refresh_token",
    }
    assert body["refresh_token"] == ""
    assert body["token_type"] == "Bearer"
    assert body["resource"] == TOKEN_EXCHANGE
    assert body["client_id"] == uami["client_id"]
    check_numbers(body)
    # The token-exchange audience is v2: aud is the first-party app's id, iss the v2 issuer.
    claims = verify_mi(sky, body["access_token"], identity=uami, audience=TOKEN_EXCHANGE_APP_ID, v1=False)
    assert claims["exp"] == int(body["expires_on"])


@pytest.mark.parametrize("resource", ["https://management.azure.com/", "https://vault.azure.net/"])
def test_v1_audience_is_the_resource_as_requested(sky, resource):
    r = mi_get(sky, "orders-sync", "imds", target=resource)
    assert r.status_code == 200, r.text
    assert r.json()["resource"] == resource
    verify_mi(sky, r.json()["access_token"], identity=sky.identity("orders-sync"), audience=resource, v1=True)


SELECTORS = {
    "app_service": ["client_id", "principal_id", "object_id", "mi_res_id"],
    "imds": ["client_id", "object_id", "msi_res_id"],
}


@pytest.mark.parametrize(
    "protocol,selector", [(p, s) for p in PROTOCOLS for s in SELECTORS[p]]
)
@pytest.mark.parametrize("identity", ["orders-uami", "orders-sync"], ids=["user", "system"])
def test_identity_selectors(sky, protocol, selector, identity):
    entry = sky.identity(identity)
    by = {"client_id": "client_id", "principal_id": "principal_id", "object_id": "principal_id"}
    value = entry[by.get(selector, "resource_id")]
    r = mi_get(sky, "orders-sync", protocol, target="api://home", **{selector: value})
    assert r.status_code == 200, r.text
    assert r.json()["client_id"] == entry["client_id"]
    roles = ["Home.Write"] if identity == "orders-uami" else ["Home.Read"]
    audience = sky.app_id("home/home-api")
    verify_mi(sky, r.json()["access_token"], identity=entry, audience=audience, v1=False, roles=roles)


def test_tokens_are_cached_per_identity_and_resource(sky):
    uami = sky.identity("orders-uami")["client_id"]
    target = "api://home/"  # a spelling no other test asks for

    def token(protocol="app_service", caller="orders-sync", target=target, **selector):
        r = mi_get(sky, caller, protocol, target=target, **selector)
        assert r.status_code == 200, r.text
        return r.json()

    first = token()
    second = token()
    assert second["access_token"] == first["access_token"]
    assert second["expires_on"] == first["expires_on"]
    assert int(second["expires_in"]) <= int(first["expires_in"])
    # The cache belongs to the identity, not to the protocol or the caller.
    assert token("imds")["access_token"] == first["access_token"]
    by_user = token(client_id=uami)
    assert by_user["access_token"] != first["access_token"]
    assert token("imds", caller="uami-host", client_id=uami)["access_token"] == by_user["access_token"]
    # Another resource is another token, even another spelling of the same one (aud differs).
    assert token(target=VAULT)["access_token"] != first["access_token"]


# --- refusals -----------------------------------------------------------------------------------


def assert_app_service_error(r, status, message):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"statusCode", "message", "correlationId"}, body
    assert body["statusCode"] == status
    uuid.UUID(body["correlationId"])
    assert body["message"].startswith(message), body
    return body


def assert_imds_error(r, status, error, description):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    assert body["error_description"].startswith(description), body
    return body


@pytest.mark.parametrize("header", ["wrong", None], ids=["wrong", "missing"])
def test_app_service_needs_the_identity_header(sky, header):
    r = mi_get(sky, "orders-sync", "app_service", target=VAULT, header=header)
    assert_app_service_error(r, 401, "The request did not carry a valid X-IDENTITY-HEADER")


@pytest.mark.parametrize("header", [None, "false", "True"], ids=["missing", "false", "capitalised"])
def test_imds_needs_the_metadata_header(sky, header):
    """The value must be "true", in all lower case (how-to-use-vm-token.md)."""
    r = mi_get(sky, "orders-sync", "imds", target=VAULT, header=header)
    body = assert_imds_error(r, 400, "bad_request_102", "Required metadata header not specified")
    assert body["error_description"] == "Required metadata header not specified"


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("target", ["api://orders", "api://nothing-anywhere"], ids=["partner-api", "unknown"])
def test_api_not_in_the_home_tenant(sky, protocol, target):
    """AADSTS500011 from the identity's home tenant, in each protocol's shape."""
    r = mi_get(sky, "orders-sync", protocol, target=target)
    text = f"AADSTS500011: The resource principal named {target} was not found in the tenant named home."
    if protocol == "imds":
        assert_imds_error(r, 400, "invalid_resource", text)
    else:
        assert_app_service_error(r, 400, text)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("who", ["unknown", "not-carried"])
def test_identity_not_found(sky, protocol, who):
    """An unknown client id, or a real identity the calling resource does not carry."""
    client_id = str(uuid.uuid4()) if who == "unknown" else sky.identity("orders-sync")["client_id"]
    r = mi_get(sky, "uami-host", protocol, target=VAULT, client_id=client_id)
    if protocol == "imds":
        assert_imds_error(r, 400, "invalid_request", "Identity not found")
    else:
        assert_app_service_error(r, 400, "Identity not found")


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "change,text",
    [
        ({"api-version": None}, "Required query variable 'api-version' is missing"),
        ({"api-version": "2017-09-01"}, "Invalid api-version '2017-09-01'"),
        ({"resource": None}, "Required query variable 'resource' is missing"),
        ({"client_id": "not-a-guid"}, "'client_id' is not a GUID"),
    ],
    ids=["no-api-version", "old-api-version", "no-resource", "bad-client-id"],
)
def test_bad_queries(sky, protocol, change, text):
    r = mi_get(sky, "orders-sync", protocol, target=VAULT, **change)
    if protocol == "imds":
        assert_imds_error(r, 400, "invalid_request", text)
    else:
        assert_app_service_error(r, 400, text)
