"""The seed world end to end through its Logic Apps workflow, as a user would drive it: trigger
`orders-sync` by its callback URL; its Http action authenticates with a client assertion the home
vault signs (the private key never leaves the vault), calls the partner's gateway, which
validates the partner token, and the Response returns the partner's orders. Then the run is read
back from the Logic Apps management API. Uses its own server on the repository's seed world."""

import time
from pathlib import Path

import pytest
import requests

import harness
import keyvault_world as kvw
from harness import HTTP_TIMEOUT, Skybridge

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed" / "world.toml"


@pytest.fixture(scope="module")
def seed(tmp_path_factory, skybridge_dns):
    sky = Skybridge(harness.skybridge_bin(), tmp_path_factory.mktemp("seed") / "data", SEED)
    try:
        sky.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield sky
    assert sky.stop() == 0


def test_seed_workflow_runs_the_chain(seed):
    workflow = seed.endpoints["workflows"]["orders-sync"]
    response, run_id = seed.trigger_workflow("orders-sync")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [o["id"] for o in body["orders"]] == ["1001", "1002"]
    # The backend saw the partner token the workflow bought as home-integration.
    assert body["calledAs"]["roles"] == ["Orders.Read"]
    assert body["calledAs"]["client"] == seed.app_id("partner/home-integration")
    assert body["calledAs"]["tenant"] == seed.tenant_id("partner")

    management = workflow["management_url"]
    # The Response action answers the caller before the run ends (as in Logic Apps): wait for it.
    deadline = time.monotonic() + HTTP_TIMEOUT
    while True:
        runs = requests.get(f"{management}/runs", verify=seed.ca, timeout=HTTP_TIMEOUT)
        assert runs.status_code == 200, runs.text
        run = next(r for r in runs.json()["value"] if r["name"] == run_id)
        if run["properties"]["status"] != "Running" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert run["properties"]["status"] == "Succeeded"
    actions = requests.get(f"{management}/runs/{run_id}/actions", verify=seed.ca, timeout=HTTP_TIMEOUT)
    assert actions.status_code == 200, actions.text
    status = {a["name"]: a["properties"]["status"] for a in actions.json()["value"]}
    assert status == {"Get_partner_orders": "Succeeded", "Response": "Succeeded", "Report_failure": "Skipped"}
    # No token or assertion reaches the run history.
    assert "eyJ" not in actions.text
    # The Http action's run history shows each step of token acquisition (Skybridge's
    # `authenticationSteps`): the identity, the vault certificate and key, the partner tenant.
    steps = seed.run_action("orders-sync", run_id, "Get_partner_orders")["authenticationSteps"]
    assert [s["step"] for s in steps] == [
        "managed identity token",
        "read vault certificate",
        "vault sign",
        "token request",
    ]
    vault = seed.endpoints["vaults"]["home-kv"]["uri"]
    assert steps[1]["target"].split("?")[0] == f"{vault}/certificates/partner-client"
    assert steps[2]["target"].startswith(f"{vault}/keys/partner-client/")
    assert seed.tenant_id("partner") in steps[3]["target"]
    assert all(isinstance(s["durationMs"], (int, float)) for s in steps)


def test_federated_workflow_runs_without_any_certificate(seed):
    """`orders-sync-federated`: a user-assigned identity's token is the client assertion."""
    response, run_id = seed.trigger_workflow("orders-sync-federated")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [o["id"] for o in body["orders"]] == ["1001", "1002"]
    assert body["calledAs"]["client"] == seed.app_id("home/orders-federation")
    assert body["calledAs"]["tenant"] == seed.tenant_id("partner")
    steps = seed.run_action("orders-sync-federated", run_id, "Get_partner_orders")["authenticationSteps"]
    assert [s["step"] for s in steps] == ["managed identity token", "token request"]
    assert "api://AzureADTokenExchange" in steps[0]["detail"]


def test_refused_workflow_shows_why_the_chain_exists(seed):
    """`orders-sync-refused`: the managed identity alone cannot get a partner token."""
    response, run_id = seed.trigger_workflow("orders-sync-refused")
    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthentication"
    assert error["message"].startswith("managed identity token: ")
    assert "AADSTS500011" in error["message"]
    call = seed.run_action("orders-sync-refused", run_id, "Get_partner_orders")
    assert call["status"] == "Failed"
    assert call["code"] == "BadRequest"
    assert "retryHistory" not in call, "a refusal is not retried"


def test_the_gateway_refuses_a_home_token(seed):
    """The partner's gateway validates issuer, audience and role: a home-tenant token is refused."""
    identity = seed.identity("orders-sync")
    mi = requests.get(
        identity["identity_endpoint"],
        params={"api-version": "2019-08-01", "resource": "https://vault.azure.net"},
        headers={"X-IDENTITY-HEADER": identity["identity_header"]},
        timeout=HTTP_TIMEOUT,
    )
    assert mi.status_code == 200, mi.text
    gateway = seed.endpoints["gateways"]["partner-apim"]["uri"]
    refused = requests.get(
        f"{gateway}/orders",
        headers={"Authorization": f"Bearer {mi.json()['access_token']}"},
        verify=seed.ca,
        timeout=HTTP_TIMEOUT,
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["message"] == "Unauthorized. Access token is missing or invalid."
    missing = requests.get(f"{gateway}/orders", verify=seed.ca, timeout=HTTP_TIMEOUT)
    assert missing.status_code == 401


def test_keyvault_sdks_with_the_workflows_managed_identity(seed, monkeypatch):
    """The chain's vault half from Microsoft's SDKs, configured as on App Service: azure-identity's
    ManagedIdentityCredential (IDENTITY_ENDPOINT + IDENTITY_HEADER of `orders-sync`) reads the
    certificate with azure-keyvault-certificates and signs with its key through
    azure-keyvault-keys; the signature verifies with the certificate's public key. The identity's
    roles reach that certificate and key only."""
    import hashlib

    from azure.core.exceptions import HttpResponseError
    from azure.identity import ManagedIdentityCredential
    from azure.keyvault.certificates import CertificateClient
    from azure.keyvault.keys import KeyClient
    from azure.keyvault.keys.crypto import CryptographyClient, SignatureAlgorithm
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    for var in harness.MI_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    identity = seed.identity("orders-sync")
    monkeypatch.setenv("IDENTITY_ENDPOINT", identity["identity_endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", identity["identity_header"])
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    credential = ManagedIdentityCredential()
    transport = kvw.transport(seed)
    vault = seed.endpoints["vaults"]["home-kv"]["uri"]

    certificate = CertificateClient(vault, credential, transport=transport).get_certificate("partner-client")
    assert certificate.policy.exportable is False, "the private key never leaves the vault"
    data = b"header.payload of a client assertion"
    crypto = CryptographyClient(certificate.key_id, credential, transport=transport)
    signed = crypto.sign(SignatureAlgorithm.rs256, hashlib.sha256(data).digest())
    public = x509.load_der_x509_certificate(bytes(certificate.cer)).public_key()
    public.verify(signed.signature, data, padding.PKCS1v15(), hashes.SHA256())

    # Nothing more: a key outside the role assignment's scope is refused.
    with pytest.raises(HttpResponseError) as refused:
        KeyClient(vault, credential, transport=transport).get_key("not-partner-client")
    assert refused.value.status_code == 403

