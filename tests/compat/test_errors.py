"""Refusals: each one's HTTP status, OAuth `error`, AADSTS code and description shape, by raw
requests and, where a real app would hit it, through msal. The last test shows nothing stored
changed."""

import time
import uuid

import msal
import pytest

from harness import SECRET, assert_aad_error, assert_msal_error, make_assertion, verify_v2

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module", autouse=True)
def before(sky):
    """What the directory looks like before any refusal."""
    return {t: [k["kid"] for k in sky.jwks(t)["keys"]] for t in ("home", "partner")}


def secret_form(sky, **changes):
    data = {
        "grant_type": "client_credentials",
        "client_id": sky.client_id("client-app"),
        "client_secret": SECRET,
        "scope": "api://orders/.default",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def assertion_form(sky, assertion, **changes):
    return secret_form(
        sky, client_secret=None, client_assertion=assertion, client_assertion_type=JWT_BEARER, **changes
    )


def post(sky, data, tenant=None, v1=False, **kwargs):
    return sky.post(sky.token_url(tenant or sky.tenant_id("partner"), v1=v1), data=data, **kwargs)


def msal_app(sky, credential=SECRET, client_id=None, tenant=None):
    return msal.ConfidentialClientApplication(
        client_id or sky.client_id("client-app"),
        client_credential=credential,
        authority=f"{sky.authority}/{tenant or sky.tenant_id('partner')}",
        instance_discovery=False,
    )


def partner_audience(sky):
    return sky.token_url(sky.tenant_id("partner"))


# --- tenants ------------------------------------------------------------------------------------


@pytest.mark.parametrize("tenant", ["guid", "nosuchtenant", "nosuch.onmicrosoft.com"])
@pytest.mark.parametrize(
    "path", ["v2.0/.well-known/openid-configuration", ".well-known/openid-configuration", "discovery/v2.0/keys", "discovery/keys"]
)
def test_unknown_tenant_metadata(sky, tenant, path):
    tenant = str(uuid.uuid4()) if tenant == "guid" else tenant
    body = assert_aad_error(sky.get(f"{sky.authority}/{tenant}/{path}"), 400, "invalid_tenant", 90002)
    assert tenant in body["error_description"]


@pytest.mark.parametrize("tenant", ["guid", "nosuchtenant"])
@pytest.mark.parametrize("v1", [False, True], ids=["v2", "v1"])
def test_unknown_tenant_token(sky, tenant, v1):
    tenant = str(uuid.uuid4()) if tenant == "guid" else tenant
    data = secret_form(sky, scope=None, resource="api://orders") if v1 else secret_form(sky)
    assert_aad_error(post(sky, data, tenant=tenant, v1=v1), 400, "invalid_tenant", 90002)


def test_unknown_tenant_msal(sky):
    # msal reads the discovery document first and refuses to build the app.
    with pytest.raises(ValueError) as info:
        msal_app(sky, tenant=str(uuid.uuid4()))
    assert "Unable to get authority configuration" in str(info.value)
    # msal re-raises inside its `except`; the discovery failure it saw is the context.
    seen = str(info.value.__context__)
    assert "HTTP status: 400" in seen and "AADSTS90002" in seen and "invalid_tenant" in seen


@pytest.mark.parametrize("segment", ["common", "organizations", "consumers", "Common"])
def test_multi_tenant_segments_refuse_client_credentials(sky, segment):
    assert_aad_error(post(sky, secret_form(sky), tenant=segment), 400, "invalid_request", 9001023)


# --- clients ------------------------------------------------------------------------------------


def test_unknown_client(sky):
    body = assert_aad_error(
        post(sky, secret_form(sky, client_id=str(uuid.uuid4()))), 400, "unauthorized_client", 700016
    )
    assert "was not found in the directory" in body["error_description"]
    assert_msal_error(
        msal_app(sky, client_id=str(uuid.uuid4())).acquire_token_for_client(["api://orders/.default"]),
        "unauthorized_client",
        700016,
    )


def test_client_of_another_tenant(sky):
    # client-app is registered in partner only; home has no service principal for it.
    assert_aad_error(post(sky, secret_form(sky), tenant=sky.tenant_id("home")), 400, "unauthorized_client", 700016)


def test_wrong_secret(sky):
    r = post(sky, secret_form(sky, client_secret="this-is-not-the-secret"))
    body = assert_aad_error(r, 401, "invalid_client", 7000215)
    assert sky.client_id("client-app") in body["error_description"]
    assert_msal_error(
        msal_app(sky, credential="this-is-not-the-secret").acquire_token_for_client(["api://orders/.default"]),
        "invalid_client",
        7000215,
    )


def test_unregistered_certificate(sky, certs):
    other = certs["other"]
    assertion = make_assertion(other, client_id=sky.client_id("client-app"), audience=partner_audience(sky))
    body = assert_aad_error(post(sky, assertion_form(sky, assertion)), 401, "invalid_client", 700027)
    assert other.sha1_hex.upper() in body["error_description"]
    result = msal_app(sky, credential={"private_key": other.key_pem, "thumbprint": other.sha1_hex}).acquire_token_for_client(
        ["api://orders/.default"]
    )
    assert_msal_error(result, "invalid_client", 700027)
    # PS256 + x5t#S256 path too.
    result = msal_app(
        sky, credential={"private_key": other.key_pem, "public_certificate": other.cert_pem}
    ).acquire_token_for_client(["api://orders/.default"])
    assert_msal_error(result, "invalid_client", 700027)


def test_registered_thumbprint_signed_by_another_key(sky, certs):
    assertion = make_assertion(
        certs["other"],
        client_id=sky.client_id("client-app"),
        audience=partner_audience(sky),
        headers={"x5t": certs["client"].x5t},
    )
    assert_aad_error(post(sky, assertion_form(sky, assertion)), 401, "invalid_client", 700027)


# --- assertions ---------------------------------------------------------------------------------


def test_expired_assertion(sky, certs):
    now = int(time.time())
    assertion = make_assertion(
        certs["client"], client_id=sky.client_id("client-app"), audience=partner_audience(sky), now=now - 7200
    )
    body = assert_aad_error(post(sky, assertion_form(sky, assertion)), 401, "invalid_client", 700024)
    assert "not within its valid time range" in body["error_description"]


def test_assertion_not_yet_valid(sky, certs):
    assertion = make_assertion(
        certs["client"], client_id=sky.client_id("client-app"), audience=partner_audience(sky), now=int(time.time()) + 3600
    )
    assert_aad_error(post(sky, assertion_form(sky, assertion)), 401, "invalid_client", 700024)


@pytest.mark.parametrize("audience", ["entra", "home", "v2-issuer"])
def test_wrong_assertion_audience(sky, certs, audience):
    aud = {
        "entra": f"https://login.microsoftonline.com/{sky.tenant_id('partner')}/oauth2/v2.0/token",
        "home": sky.token_url(sky.tenant_id("home")),
        "v2-issuer": sky.discovery("partner")["issuer"],
    }[audience]
    assertion = make_assertion(certs["client"], client_id=sky.client_id("client-app"), audience=aud)
    assert_aad_error(post(sky, assertion_form(sky, assertion)), 401, "invalid_client", 50012)


@pytest.mark.parametrize("alg", ["none", "none-with-signature", "HS256"])
def test_assertion_algorithm_refused(sky, certs, alg):
    """An unsecured JWT (RFC 7519 §6: alg "none", empty third segment) and an HMAC one are
    refused as unsupported algorithms, like Entra does."""
    assertion = make_assertion(
        certs["client"], client_id=sky.client_id("client-app"), audience=partner_audience(sky), alg=alg.split("-")[0]
    )
    if alg == "none-with-signature":
        assertion += "c2lnbmF0dXJl"
    alg = alg.split("-")[0]
    body = assert_aad_error(post(sky, assertion_form(sky, assertion)), 401, "invalid_client", 5002738)
    assert alg in body["error_description"]


def test_assertion_subject_differs_from_issuer(sky, certs):
    assertion = make_assertion(
        certs["client"], client_id=sky.client_id("client-app"), audience=partner_audience(sky), sub=str(uuid.uuid4())
    )
    assert_aad_error(post(sky, assertion_form(sky, assertion)), 401, "invalid_client", 50048)


@pytest.mark.parametrize("assertion", ["not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "...."])
def test_broken_assertion(sky, assertion):
    assert_aad_error(post(sky, assertion_form(sky, assertion)), 400, "invalid_request", 50027)


# --- scopes and resources -----------------------------------------------------------------------


def test_scope_without_default(sky):
    body = assert_aad_error(post(sky, secret_form(sky, scope="api://orders/Orders.Read")), 400, "invalid_scope", 1002012)
    assert "/.default" in body["error_description"]
    assert_msal_error(
        msal_app(sky).acquire_token_for_client(["api://orders/Orders.Read"]), "invalid_scope", 1002012
    )


def test_resource_not_in_tenant(sky):
    body = assert_aad_error(post(sky, secret_form(sky, scope="api://nothing/.default")), 400, "invalid_resource", 500011)
    assert "api://nothing" in body["error_description"]
    assert_msal_error(msal_app(sky).acquire_token_for_client(["api://nothing/.default"]), "invalid_resource", 500011)


def test_resource_not_in_tenant_v1(sky):
    data = secret_form(sky, scope=None, resource="api://nothing")
    assert_aad_error(post(sky, data, v1=True), 400, "invalid_resource", 500011)


def test_resource_parameter_on_v2(sky):
    assert_aad_error(post(sky, secret_form(sky, resource="api://orders")), 400, "invalid_request", 901002)


# --- the request itself -------------------------------------------------------------------------


def test_password_grant(sky):
    data = secret_form(sky, grant_type="password", username="alice", password="secret")
    assert_aad_error(post(sky, data), 400, "unsupported_grant_type", 70003)


@pytest.mark.parametrize("missing", ["grant_type", "scope"])
def test_missing_parameter(sky, missing):
    body = assert_aad_error(post(sky, secret_form(sky, **{missing: None})), 400, "invalid_request", 900144)
    assert f"'{missing}'" in body["error_description"]


def test_missing_resource_v1(sky):
    data = secret_form(sky, scope=None)
    body = assert_aad_error(post(sky, data, v1=True), 400, "invalid_request", 900144)
    assert "'resource'" in body["error_description"]


@pytest.mark.parametrize("v1", [False, True], ids=["v2", "v1"])
def test_get_on_token_endpoint(sky, v1):
    r = sky.get(sky.token_url(sky.tenant_id("partner"), v1=v1))
    body = assert_aad_error(r, 400, "invalid_request", 900561)
    assert "GET" in body["error_description"]


def test_body_over_64_kib(sky):
    data = secret_form(sky, padding="x" * (64 * 1024))
    assert_aad_error(post(sky, data), 400, "invalid_request", None)


def test_non_utf8_body(sky):
    body = (
        f"grant_type=client_credentials&client_id={sky.client_id('client-app')}"
        f"&client_secret={SECRET}&scope=api%3A%2F%2Forders%2F.default&x="
    ).encode() + b"\xff\xfe"
    r = post(sky, body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_aad_error(r, 400, "invalid_request", None)


def test_correlation_id_is_echoed(sky):
    correlation = str(uuid.uuid4())
    r = post(sky, secret_form(sky, client_secret="wrong-secret-value"), headers={"client-request-id": correlation})
    body = assert_aad_error(r, 401, "invalid_client", 7000215)
    assert body["correlation_id"] == correlation
    assert f"Correlation ID: {correlation}" in body["error_description"]


# --- nothing changed ----------------------------------------------------------------------------


def test_zz_still_works_after_refusals(sky, certs, before):
    """Runs last in this module: the refusals above stored nothing and rotated nothing."""
    assert {t: [k["kid"] for k in sky.jwks(t)["keys"]] for t in ("home", "partner")} == before
    verify_v2(sky, sky.secret_token(), acr="1")
    cert = certs["client"]
    result = msal_app(sky, credential={"private_key": cert.key_pem, "thumbprint": cert.sha1_hex}).acquire_token_for_client(
        ["api://orders/.default"]
    )
    assert "access_token" in result, result
    verify_v2(sky, result["access_token"], acr="2")
