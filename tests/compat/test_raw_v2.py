"""The v2 token endpoint by raw requests: the response shape and both ways of sending a secret
that discovery advertises (client_secret_post, client_secret_basic)."""

import time

from harness import DOMAIN, SECRET, verify_v2


def form(sky, **changes):
    data = {
        "grant_type": "client_credentials",
        "client_id": sky.client_id("client-app"),
        "client_secret": SECRET,
        "scope": "api://orders/.default",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_v2_response_shape(sky):
    r = sky.post(sky.token_url(sky.tenant_id("partner")), data=form(sky))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"].startswith("no-store")
    body = r.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and isinstance(body["ext_expires_in"], int)
    claims = verify_v2(sky, body["access_token"], acr="1")
    assert abs(claims["exp"] - (time.time() + body["expires_in"])) < 60


def test_client_secret_basic(sky):
    r = sky.post(
        sky.token_url("partner"),
        data=form(sky, client_id=None, client_secret=None),
        auth=(sky.client_id("client-app"), SECRET),
    )
    assert r.status_code == 200, r.text
    verify_v2(sky, r.json()["access_token"], acr="1")


def test_scope_by_client_id(sky):
    r = sky.post(sky.token_url("partner"), data=form(sky, scope=f"{sky.client_id('orders-api')}/.default"))
    assert r.status_code == 200, r.text
    verify_v2(sky, r.json()["access_token"], acr="1")


def test_sts_host_serves_the_authority(sky):
    tid = sky.tenant_id("partner")
    r = sky.get(f"https://sts.{DOMAIN}:{sky.port}/{tid}/.well-known/openid-configuration")
    assert r.status_code == 200, r.text
    assert r.json()["issuer"] == sky.v1_issuer(tid)
