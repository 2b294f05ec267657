"""The managed-identity listeners themselves: a resource's fixed `imds_port`, and the shared App
Service listener, which also answers IMDS when the world has exactly one resource. Uses its own
server, data directory and world; the session's server is only read."""

import socket

import pytest
import requests

import harness
from harness import HTTP_TIMEOUT, Skybridge, mi_get, verify_mi


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def solo(tmp_path, skybridge_dns):
    """A server whose world has one resource, with its IMDS listener on a fixed port."""
    port = free_port()
    world = tmp_path / "world.toml"
    world.write_text(
        f"""\
version = 1

[[tenant]]
name = "home"

[[resource]]
name = "solo"
tenant = "home"
system_assigned = true
imds_port = {port}
"""
    )
    sky = Skybridge(harness.skybridge_bin(), tmp_path / "data", world)
    try:
        sky.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield sky, port
    sky.kill()


def test_fixed_imds_port_and_shared_imds(solo):
    sky, port = solo
    entry = sky.identity("solo")
    assert entry["kind"] == "system"
    assert entry["imds_endpoint"] == f"http://127.0.0.1:{port}"
    # kind defaults to "host", a virtual machine.
    assert entry["resource_id"].endswith("/providers/Microsoft.Compute/virtualMachines/solo")
    r = mi_get(sky, "solo", "imds", target="https://vault.azure.net")
    assert r.status_code == 200, r.text
    verify_mi(sky, r.json()["access_token"], identity=entry, audience="https://vault.azure.net", v1=True)
    # The only resource: the App Service listener answers IMDS for it too.
    shared = entry["identity_endpoint"].removesuffix("/msi/token")
    r = requests.get(
        f"{shared}/metadata/identity/oauth2/token",
        params={"api-version": "2018-02-01", "resource": "https://vault.azure.net"},
        headers={"Metadata": "true"},
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 200, r.text
    assert r.json()["client_id"] == entry["client_id"]
    rc = sky.stop()
    assert rc == 0, sky._log_tail()
    assert sky.stdout_lines[-1] == "skybridge stopped", sky.stdout_lines


def test_shared_listener_serves_no_imds_with_several_resources(sky):
    """IMDS requests carry no caller identity: with two resources, only their own listeners
    know whom they serve."""
    shared = sky.identity("orders-sync")["identity_endpoint"].removesuffix("/msi/token")
    r = requests.get(
        f"{shared}/metadata/identity/oauth2/token",
        params={"api-version": "2018-02-01", "resource": "https://vault.azure.net"},
        headers={"Metadata": "true"},
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 400, r.text
    assert r.json() == {
        "error": "invalid_request",
        "error_description": "No managed identity is assigned to this resource",
    }
