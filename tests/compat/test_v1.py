"""The v1 token endpoint (`resource=`) and v1 tokens, by raw requests as older clients send them.
A token's shape follows the *resource* application's access_token_version, whichever endpoint
issued it."""

import time

import pytest

from harness import SECRET, make_assertion, verify_token, verify_v2


def v1_post(sky, resource, **credential):
    tid = sky.tenant_id("partner")
    data = {"grant_type": "client_credentials", "client_id": sky.client_id("client-app"), "resource": resource}
    data.update(credential or {"client_secret": SECRET})
    return sky.post(sky.token_url(tid, v1=True), data=data)


def verify_v1(sky, token, *, audience, acr):
    tid = sky.tenant_id("partner")
    doc = sky.discovery(tid, v1=True)
    assert doc["issuer"] == sky.v1_issuer(tid)
    c = verify_token(token, jwks_uri=doc["jwks_uri"], issuer=doc["issuer"], audience=audience, ca=sky.ca).claims
    assert c["iss"] == sky.v1_issuer(tid)
    assert c["aud"] == audience
    assert c["appid"] == sky.client_id("client-app")
    assert c["appidacr"] == acr
    assert c["idp"] == c["iss"]
    assert c["tid"] == tid
    assert c["ver"] == "1.0"
    assert "roles" not in c  # Legacy.Read exists but is not assigned
    for v2_only in ("azp", "azpacr"):
        assert v2_only not in c, v2_only
    return c


def test_v1_secret_response_shape(sky):
    r = v1_post(sky, "api://legacy")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {
        "token_type", "expires_in", "ext_expires_in", "expires_on", "not_before", "resource", "access_token",
    }
    assert body["token_type"] == "Bearer"
    assert body["resource"] == "api://legacy"
    for member in ("expires_in", "ext_expires_in", "expires_on", "not_before"):
        assert isinstance(body[member], str) and body[member].isdigit(), (member, body[member])
    now = time.time()
    assert abs(int(body["expires_on"]) - (now + int(body["expires_in"]))) < 60
    assert int(body["not_before"]) <= now
    assert r.headers["cache-control"].startswith("no-store")
    claims = verify_v1(sky, body["access_token"], audience="api://legacy", acr="1")
    assert claims["exp"] == int(body["expires_on"])
    assert claims["nbf"] == int(body["not_before"])


def test_v1_certificate_assertion(sky, certs):
    tid = sky.tenant_id("partner")
    assertion = make_assertion(
        certs["client"], client_id=sky.client_id("client-app"), audience=sky.token_url(tid, v1=True)
    )
    r = v1_post(
        sky,
        "api://legacy",
        client_assertion=assertion,
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    )
    assert r.status_code == 200, r.text
    verify_v1(sky, r.json()["access_token"], audience="api://legacy", acr="2")


@pytest.mark.parametrize("resource", ["api://legacy/", "legacy-client-id"])
def test_v1_aud_echoes_the_resource_as_requested(sky, resource):
    if resource == "legacy-client-id":
        resource = sky.client_id("legacy-api")
    r = v1_post(sky, resource)
    assert r.status_code == 200, r.text
    assert r.json()["resource"] == resource
    verify_v1(sky, r.json()["access_token"], audience=resource, acr="1")


def test_v1_endpoint_for_a_v2_resource_issues_a_v2_token(sky):
    r = v1_post(sky, "api://orders")
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["expires_in"], str)  # the endpoint's shape...
    verify_v2(sky, body["access_token"], acr="1")  # ...the resource's token


def test_v2_endpoint_for_a_v1_resource_issues_a_v1_token(sky):
    r = sky.post(
        sky.token_url(sky.tenant_id("partner")),
        data={
            "grant_type": "client_credentials",
            "client_id": sky.client_id("client-app"),
            "client_secret": SECRET,
            "scope": "api://legacy/.default",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["expires_in"], int) and "resource" not in body
    verify_v1(sky, body["access_token"], audience="api://legacy", acr="1")
