"""Key Vault secrets with azure-keyvault-secrets (default options), RBAC denials, and the
challenge: unauthenticated and foreign-tenant requests get 401 with Key Vault's challenge."""

from __future__ import annotations

import uuid

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.secrets import SecretClient

import keyvault_world as kvw


@pytest.fixture(scope="module")
def kv(skybridge_dns):
    try:
        return kvw.server()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


def secrets(kv, app="kv-admin") -> SecretClient:
    return SecretClient(kvw.vault_url(kv), kvw.credential(kv, app), transport=kvw.transport(kv))


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_endpoints_json_lists_the_vault(kv):
    entry = kv.endpoints["vaults"][kvw.VAULT]
    assert entry["uri"] == f"https://{kvw.VAULT}.vault.skybridge.localhost:{kv.port}"
    assert entry["tenant"] == "home"
    assert entry["tenant_id"] == kv.endpoints["tenants"]["home"]["tenant_id"]
    assert f"{kvw.VAULT}.vault.skybridge.localhost" in kv.endpoints["hosts"]


def test_secret_round_trip_with_versions(kv):
    client = secrets(kv)
    secret_name = name("db")
    first = client.set_secret(secret_name, "first value", content_type="text/plain", tags={"env": "ci"})
    second = client.set_secret(secret_name, "second value")
    assert first.properties.version != second.properties.version
    assert client.get_secret(secret_name).value == "second value"
    assert client.get_secret(secret_name, first.properties.version).value == "first value"
    versions = list(client.list_properties_of_secret_versions(secret_name))
    assert sorted(v.version for v in versions) == sorted([first.properties.version, second.properties.version])
    updated = client.update_secret_properties(secret_name, first.properties.version, content_type="x/y", enabled=False)
    assert updated.content_type == "x/y" and updated.enabled is False
    with pytest.raises(HttpResponseError) as e:
        client.get_secret(secret_name, first.properties.version)
    assert e.value.status_code == 403
    assert client.get_secret("seeded").value == "hello from the world file"


def test_list_pages_follow_next_link(kv):
    client = secrets(kv)
    made = {name("page") for _ in range(4)}
    for n in made:
        client.set_secret(n, "v")
    pages = client.list_properties_of_secrets(max_page_size=2).by_page()
    seen, page_count = set(), 0
    for page in pages:
        page_count += 1
        seen.update(p.name for p in page)
    assert made <= seen and page_count >= 3


def test_delete_recover_purge(kv):
    client = secrets(kv)
    secret_name = name("gone")
    client.set_secret(secret_name, "v1")
    deleted = client.begin_delete_secret(secret_name).result()
    assert deleted.recovery_id.endswith(f"/deletedsecrets/{secret_name}")
    assert deleted.scheduled_purge_date > deleted.deleted_date
    with pytest.raises(ResourceNotFoundError):
        client.get_secret(secret_name)
    with pytest.raises(ResourceExistsError):
        client.set_secret(secret_name, "reuse while deleted")
    assert secret_name in {d.name for d in client.list_deleted_secrets()}
    client.begin_recover_deleted_secret(secret_name).result()
    assert client.get_secret(secret_name).value == "v1"
    backup = client.backup_secret(secret_name)
    client.begin_delete_secret(secret_name).result()
    client.purge_deleted_secret(secret_name)
    restored = client.restore_secret_backup(backup)
    assert restored.name == secret_name
    assert client.get_secret(secret_name).value == "v1"


def test_principal_without_a_role_gets_403(kv):
    client = secrets(kv, "kv-nobody")
    with pytest.raises(HttpResponseError) as e:
        client.get_secret("seeded")
    assert e.value.status_code == 403
    body = e.value.response.json()
    assert body["error"]["code"] == "Forbidden"
    assert body["error"]["innererror"]["code"] == "ForbiddenByRbac"
    assert "Microsoft.KeyVault/vaults/secrets/getSecret/action" in body["error"]["message"]


def _challenge(kv) -> str:
    tenant = kv.endpoints["tenants"]["home"]["tenant_id"]
    return f'Bearer authorization="{kv.authority}/{tenant}", resource="{kvw.vault_resource(kv)}"'


def test_unauthenticated_request_gets_the_challenge(kv):
    r = requests.get(f"{kvw.vault_url(kv)}/secrets/seeded", verify=kv.ca, timeout=30)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == _challenge(kv)
    assert r.json()["error"]["code"] == "Unauthorized"


def test_token_from_another_tenant_is_refused(kv):
    outsider = kvw.credential(kv, "outsider", tenant="elsewhere")
    token = outsider.get_token(kvw.vault_resource(kv) + "/.default").token
    r = requests.get(
        f"{kvw.vault_url(kv)}/secrets/seeded?api-version=2025-07-01",
        headers={"Authorization": f"Bearer {token}"},
        verify=kv.ca,
        timeout=30,
    )
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"] == _challenge(kv)
    # The same principal kind from the vault's tenant gets through authentication.
    home = kvw.credential(kv, "kv-admin").get_token(kvw.vault_resource(kv) + "/.default").token
    r = requests.get(
        f"{kvw.vault_url(kv)}/secrets/seeded?api-version=2025-07-01",
        headers={"Authorization": f"Bearer {home}"},
        verify=kv.ca,
        timeout=30,
    )
    assert r.status_code == 200, r.text


def test_bad_input_is_400_with_key_vault_envelope(kv):
    token = kvw.credential(kv, "kv-admin").get_token(kvw.vault_resource(kv) + "/.default").token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    base = kvw.vault_url(kv)
    cases = [
        ("PUT", "/secrets/bad_name?api-version=7.6", '{"value": "x"}'),
        ("PUT", "/secrets/ok?api-version=7.6", "{not json"),
        ("PUT", "/secrets/ok?api-version=7.6", '{"value": "' + "x" * 30000 + '"}'),
        ("GET", "/secrets/seeded", ""),
    ]
    for method, path, body in cases:
        r = requests.request(method, base + path, data=body, headers=headers, verify=kv.ca, timeout=30)
        assert r.status_code == 400, (path, r.text)
        assert r.json()["error"]["code"] == "BadParameter"
