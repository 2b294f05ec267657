"""Restarting on the same data directory changes nothing; `skybridge authority rotate-keys`
(while stopped) rolls the keys the way validators expect. Uses its own server and data
directory, so the session's server is untouched."""

import jwt
import pytest

import harness
from harness import Skybridge, verify_token


def ids(sky):
    e = sky.endpoints
    return (
        {name: t["tenant_id"] for name, t in e["tenants"].items()},
        {name: a["client_id"] for name, a in e["applications"].items()},
        # Managed identities keep their ids, and resources their identity header.
        {
            name: (m["client_id"], m["principal_id"], m["resource_id"], m["identity_header"])
            for name, m in e["managed_identities"].items()
        },
    )


def managed_kid(sky):
    """The kid of a verified token of orders-sync's system-assigned identity, through its IMDS
    listener (on a new port each run)."""
    r = harness.mi_get(sky, "orders-sync", "imds", target="https://vault.azure.net")
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    harness.verify_mi(sky, token, identity=sky.identity("orders-sync"), audience="https://vault.azure.net", v1=True)
    return jwt.get_unverified_header(token)["kid"]


def kids(sky):
    return {t: [k["kid"] for k in sky.jwks(t)["keys"]] for t in ("home", "partner")}


def verify_orders(sky, token, issuer):
    """Verifies against the *running* server's JWKS; `issuer` is the one the token was minted
    with (the port changes between runs)."""
    doc = sky.discovery("partner")
    return verify_token(token, jwks_uri=doc["jwks_uri"], issuer=issuer, audience=sky.client_id("orders-api"), ca=sky.ca)


@pytest.fixture
def server(tmp_path, world):
    sky = Skybridge(harness.skybridge_bin(), tmp_path / "data", world)
    yield sky
    sky.kill()


def stop(sky):
    rc = sky.stop()
    assert rc == 0, sky._log_tail()
    assert sky.stdout_lines[-1] == "skybridge stopped", sky.stdout_lines


def test_restart_then_rotate(server):
    sky = server
    # First run: creates everything.
    sky.start()
    first_ids, first_kids = ids(sky), kids(sky)
    assert all(len(v) == 2 for v in first_kids.values())
    old_issuer = sky.discovery("partner")["issuer"]
    old_token = sky.secret_token()
    old_current = jwt.get_unverified_header(old_token)["kid"]
    (old_next,) = [k for k in first_kids["partner"] if k != old_current]
    home_current = managed_kid(sky)
    (home_next,) = [k for k in first_kids["home"] if k != home_current]
    stop(sky)

    # Second run, same data dir and world: same ids, same keys, same secret.
    sky.start()
    assert ids(sky) == first_ids
    assert kids(sky) == first_kids
    again = sky.secret_token()
    assert jwt.get_unverified_header(again)["kid"] == old_current
    assert verify_orders(sky, again, sky.discovery("partner")["issuer"]).claims["roles"] == ["Orders.Read"]
    assert managed_kid(sky) == home_current
    stop(sky)

    # Rotate while stopped.
    done = sky.cli("authority", "rotate-keys")
    assert done.returncode == 0, done.stderr
    assert "partner" in done.stdout and "home" in done.stdout, done.stdout

    sky.start()
    assert ids(sky) == first_ids
    rotated = kids(sky)
    for tenant in ("home", "partner"):
        assert len(rotated[tenant]) == 3, rotated
        assert set(first_kids[tenant]) < set(rotated[tenant]), (first_kids, rotated)
    # The old current key is still published (as previous): the old token still verifies.
    assert old_current in rotated["partner"]
    verify_orders(sky, old_token, old_issuer)
    # The old next key now signs.
    new_token = sky.secret_token()
    assert jwt.get_unverified_header(new_token)["kid"] == old_next
    claims = verify_orders(sky, new_token, sky.discovery("partner")["issuer"]).claims
    assert claims["roles"] == ["Orders.Read"]
    # v1 keys follow the same rotation.
    assert [k["kid"] for k in sky.jwks("partner", v1=True)["keys"]] == rotated["partner"]
    # Managed-identity tokens follow too: the home tenant's old next key signs them.
    assert managed_kid(sky) == home_next
    stop(sky)
