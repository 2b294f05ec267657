"""The seed chain's faults, each through a Logic Apps workflow triggered by its callback URL: the
Http action fails with an error naming the failing step (InvalidAuthentication), the retry policy
applies when the failing service was unreachable, and no token or key reaches the run history.

The world is the repository's seed plus what each fault needs: a vault certificate the workflow's
identity has no role on, a certificate whose key gets disabled, a partner app that trusts no
certificate, a partner app without the Orders.Read role, and a vault that is not listening."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
import requests

import harness
import keyvault_world as kvw
from harness import Skybridge

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
ADMIN_SECRET = "faults-admin-secret-0123456789"

FAULTS = f"""
# --- faults (tests/compat/test_seed_faults.py) ---
# Appended after the seed: `[[vault.certificate]]` and `[[vault.role_assignment]]` below extend
# the last `[[vault]]`, home-kv.

# The workflow's identity has no role on this certificate.
[[vault.certificate]]
name = "no-role-client"
subject = "CN=no-role-client"
exportable = false

# The workflow's identity may use this one; the test disables its key.
[[vault.certificate]]
name = "disabled-client"
subject = "CN=disabled-client"
exportable = false

[[vault.role_assignment]]
principal = "resource:orders-sync"
role = "Key Vault Crypto User"
scope = "keys/disabled-client"

[[vault.role_assignment]]
principal = "resource:orders-sync"
role = "Key Vault Certificate User"
scope = "certificates/disabled-client"

[[vault.role_assignment]]
principal = "home/faults-admin"
role = "Key Vault Administrator"

[[application]]
tenant = "home"
name = "faults-admin"

  [[application.secret]]
  name = "test"
  value = "{ADMIN_SECRET}"

# Trusts no certificate: its vault-signed assertion is refused at the partner's token endpoint.
[[application]]
tenant = "partner"
name = "no-certificate"
access_token_version = 2

[[app_role_assignment]]
tenant = "partner"
principal = "no-certificate"
resource = "orders-api"
role = "Orders.Read"

# Trusts the vault certificate but holds no Orders.Read: the gateway refuses its token.
[[application]]
tenant = "partner"
name = "no-role"
access_token_version = 2

  [[application.certificate]]
  name = "partner-client"
  vault_certificate = "home-kv/partner-client"

# Disabled-key variant's client.
[[application]]
tenant = "partner"
name = "disabled-integration"
access_token_version = 2

  [[application.certificate]]
  name = "disabled-client"
  vault_certificate = "home-kv/disabled-client"

[[app_role_assignment]]
tenant = "partner"
principal = "disabled-integration"
resource = "orders-api"
role = "Orders.Read"
"""

CASES = {
    # name: (clientId app, vault app setting or URL, certificate)
    "fault-role-missing": ("HOME_INTEGRATION", None, "no-role-client"),
    "fault-key-disabled": ("DISABLED_INTEGRATION", None, "disabled-client"),
    "fault-no-certificate": ("NO_CERTIFICATE", None, "partner-client"),
    "fault-gateway-refuses": ("NO_ROLE", None, "partner-client"),
    "fault-vault-down": ("HOME_INTEGRATION", "DOWN", "partner-client"),
}


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def workflow(client: str, vault: str, certificate: str) -> dict:
    """The seed workflow with another client app, vault or certificate, and a short retry policy
    so the vault-down case shows its retries quickly."""
    doc = json.loads((SEED / "workflows" / "orders-sync" / "workflow.json").read_text())
    inputs = doc["definition"]["actions"]["Get_partner_orders"]["inputs"]
    auth = inputs["authentication"]
    auth["clientId"] = f"@appsetting('SKYBRIDGE_CLIENT_ID_PARTNER_{client}')"
    auth["vaultCertificate"] = {"vault": vault, "certificate": certificate}
    inputs["retryPolicy"] = {"type": "fixed", "count": 2, "interval": "PT1S"}
    return doc


@pytest.fixture(scope="module")
def sky(tmp_path_factory, skybridge_dns):
    root = tmp_path_factory.mktemp("faults")
    shutil.copytree(SEED / "workflows", root / "workflows")
    down = f"https://127.0.0.1:{closed_port()}"
    world = (SEED / "world.toml").read_text() + FAULTS
    for name, (client, vault, certificate) in CASES.items():
        target = down if vault == "DOWN" else "@appsetting('SKYBRIDGE_VAULT_HOME_KV')"
        folder = root / "workflows" / name
        folder.mkdir()
        (folder / "workflow.json").write_text(json.dumps(workflow(client, target, certificate), indent=2))
        world += f'\n[[workflow]]\nname = "{name}"\npath = "workflows/{name}"\nresource = "orders-sync"\n'
    (root / "world.toml").write_text(world)
    server = Skybridge(harness.skybridge_bin(), root / "data", root / "world.toml")
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    assert server.stop() == 0


def trigger(sky: Skybridge, name: str) -> tuple[requests.Response, dict]:
    """Runs workflow `name`; returns its answer and the Http action's run-history record."""
    response, run_id = sky.trigger_workflow(name)
    return response, sky.run_action(name, run_id, "Get_partner_orders")


def assert_auth_failure(response: requests.Response, call: dict, step: str, *fragments: str) -> str:
    assert response.status_code == 502, response.text
    assert call["status"] == "Failed"
    assert call["error"]["code"] == "InvalidAuthentication"
    message = call["error"]["message"]
    assert message.startswith(step), message
    for f in fragments:
        assert f in message, message
    assert response.json()["error"]["message"] == message
    return message


def test_role_assignment_missing(sky):
    response, call = trigger(sky, "fault-role-missing")
    assert_auth_failure(
        response, call, "read vault certificate", "403 Forbidden", "Microsoft.KeyVault/vaults/certificates/read"
    )
    assert "retryHistory" not in call, "a refusal is not retried"


def test_certificate_disabled(sky):
    from azure.keyvault.certificates import CertificateClient

    credential = kvw.credential(sky, "faults-admin", secret=ADMIN_SECRET)
    # The key is managed by the certificate: disabling the certificate disables its key.
    certificates = CertificateClient(
        sky.endpoints["vaults"]["home-kv"]["uri"], credential, transport=kvw.transport(sky)
    )
    assert certificates.update_certificate_properties("disabled-client", enabled=False).properties.enabled is False
    response, call = trigger(sky, "fault-key-disabled")
    assert_auth_failure(response, call, "vault sign", "403")
    assert "retryHistory" not in call


def test_partner_app_without_the_certificate(sky):
    response, call = trigger(sky, "fault-no-certificate")
    assert_auth_failure(response, call, "token request", "invalid_client", "AADSTS700027")


def test_gateway_rejects_a_token_without_the_role(sky):
    response, call = trigger(sky, "fault-gateway-refuses")
    assert response.status_code == 502, response.text
    # The token was bought (every step shown); the gateway's validate-jwt refused it.
    assert [s["step"] for s in call["authenticationSteps"]] == [
        "managed identity token",
        "read vault certificate",
        "vault sign",
        "token request",
    ]
    assert call["status"] == "Failed"
    assert call["code"] == "Unauthorized"
    assert response.json()["status"] == 401


def test_vault_down_is_retried_under_the_retry_policy(sky):
    response, call = trigger(sky, "fault-vault-down")
    # The first call to the vault is the challenge that names its tenant and resource.
    assert_auth_failure(response, call, "vault challenge", "HTTP failure")
    history = call["retryHistory"]
    assert len(history) == 2, history
    assert all(h["error"]["code"] == "InvalidAuthentication" for h in history)
