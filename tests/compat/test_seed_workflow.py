"""The seed world end to end through its Logic Apps workflow, as a user would drive it: trigger
`orders-sync` by its callback URL; its Http action authenticates with a client assertion the home
vault signs (the private key never leaves the vault), calls the partner's gateway, which
validates the partner token, and the Response returns the partner's orders. Then the run is read
back from the Logic Apps management API. Uses its own server on the repository's seed world."""

from pathlib import Path

import pytest
import requests

import harness
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
    response = requests.post(workflow["trigger_url"], json={}, verify=seed.ca, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [o["id"] for o in body["orders"]] == ["1001", "1002"]
    # The backend saw the partner token the workflow bought as home-integration.
    assert body["calledAs"]["roles"] == ["Orders.Read"]
    assert body["calledAs"]["client"] == seed.app_id("partner/home-integration")
    assert body["calledAs"]["tenant"] == seed.tenant_id("partner")
    run_id = response.headers["x-ms-workflow-run-id"]

    management = workflow["management_url"]
    runs = requests.get(f"{management}/runs", verify=seed.ca, timeout=HTTP_TIMEOUT)
    assert runs.status_code == 200, runs.text
    run = next(r for r in runs.json()["value"] if r["name"] == run_id)
    assert run["properties"]["status"] == "Succeeded"
    actions = requests.get(f"{management}/runs/{run_id}/actions", verify=seed.ca, timeout=HTTP_TIMEOUT)
    assert actions.status_code == 200, actions.text
    status = {a["name"]: a["properties"]["status"] for a in actions.json()["value"]}
    assert status == {"Get_partner_orders": "Succeeded", "Response": "Succeeded", "Report_failure": "Skipped"}
    # No token or assertion reaches the run history.
    assert "eyJ" not in actions.text


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
