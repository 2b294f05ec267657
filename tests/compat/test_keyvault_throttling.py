"""Key Vault throttling, opt-in per vault (`[vault.throttling]`): past a limit the vault answers
429 `Throttled` with `Retry-After`, and azure-keyvault-secrets' default retry policy waits that
long and succeeds — the retry path users want to exercise. Its own `skybridge up` with a world
whose vault allows two secret sets per 10 seconds."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest
import requests
from azure.keyvault.secrets import SecretClient

import harness
import keyvault_world as kvw
from harness import Skybridge

VAULT = "throttled-kv"

WORLD = f"""\
version = 1

[[tenant]]
name = "home"

[[application]]
tenant = "home"
name = "kv-admin"
  [[application.secret]]
  name = "ci"
  value = "{kvw.SECRET}"

[[vault]]
name = "{VAULT}"
tenant = "home"

  [[vault.role_assignment]]
  principal = "home/kv-admin"
  role = "Key Vault Secrets Officer"

  [vault.throttling]
  secret_create = 2
"""


@pytest.fixture(scope="module")
def throttled(skybridge_dns):
    root = Path(tempfile.mkdtemp(prefix="sb-kv-throttle-"))
    (root / "world.toml").write_text(WORLD)
    server = Skybridge(harness.skybridge_bin(), root / "data", root / "world.toml")
    try:
        server.start()
    except RuntimeError as e:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        rc = server.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert rc == 0


def test_429_with_retry_after_then_the_sdk_retry_succeeds(throttled):
    url = throttled.endpoints["vaults"][VAULT]["uri"]
    credential = kvw.credential(throttled, "kv-admin")
    client = SecretClient(url, credential, transport=kvw.transport(throttled))
    started = time.monotonic()
    client.set_secret("s", "one")
    client.set_secret("s", "two")

    # The raw answer, as Key Vault sends it.
    token = credential.get_token(f"{kvw.vault_resource(throttled)}/.default").token
    r = requests.put(
        f"{url}/secrets/s?api-version=2025-07-01",
        json={"value": "raw"},
        headers={"Authorization": f"Bearer {token}"},
        verify=throttled.ca,
        proxies={"https": None, "http": None},
    )
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"] == "Throttled"
    retry_after = int(r.headers["Retry-After"])
    assert 1 <= retry_after <= 10
    # Reads are another class: not throttled by secret sets.
    assert client.get_secret("s").value == "two"

    # The SDK's retry policy honours Retry-After and gets through once the window ends.
    third = client.set_secret("s", "three")
    assert third.value == "three"
    assert time.monotonic() - started >= retry_after - 1
    versions = list(client.list_properties_of_secret_versions("s"))
    assert len(versions) == 3
