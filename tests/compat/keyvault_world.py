"""A second `skybridge up` for the Key Vault tests, with its own world: a vault in tenant `home`
with RBAC role assignments and seeded objects, applications holding those roles, and a
principal in another tenant. It runs beside the session's server (another port and data
directory), so the shared world in harness.py stays untouched.

Clients trust this server's dev CA through their transport (`connection_verify`), not through
REQUESTS_CA_BUNDLE, because the session server's fixture owns that variable. Everything else
is the SDKs' defaults: challenge-resource verification stays on.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from azure.core.pipeline.transport import RequestsTransport
from azure.identity import ClientSecretCredential

import harness
from harness import Skybridge

SECRET = "kv-compat-secret-0123456789"
VAULT = "compat-kv"

WORLD = f"""\
version = 1

[[tenant]]
name = "home"

[[tenant]]
name = "elsewhere"

[[application]]
tenant = "home"
name = "kv-admin"
  [[application.secret]]
  name = "ci"
  value = "{SECRET}"

[[application]]
tenant = "home"
name = "kv-signer"
  [[application.secret]]
  name = "ci"
  value = "{SECRET}"

[[application]]
tenant = "home"
name = "kv-nobody"
  [[application.secret]]
  name = "ci"
  value = "{SECRET}"

[[application]]
tenant = "elsewhere"
name = "outsider"
  [[application.secret]]
  name = "ci"
  value = "{SECRET}"

[[vault]]
name = "{VAULT}"
tenant = "home"

  [[vault.role_assignment]]
  principal = "home/kv-admin"
  role = "Key Vault Administrator"

  [[vault.role_assignment]]
  principal = "home/kv-signer"
  role = "Key Vault Crypto User"
  scope = "keys/signing"

  [[vault.key]]
  name = "signing"
  kty = "RSA"

  [[vault.secret]]
  name = "seeded"
  value = "hello from the world file"

  [[vault.certificate]]
  name = "seeded-cert"
  subject = "CN=seeded"
  exportable = false
"""

_server: Skybridge | None = None
_dirs: list[str] = []


def _stop() -> None:
    if _server is not None and _server.proc is not None:
        _server.stop()
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)


def server() -> Skybridge:
    """The Key Vault test server, started on first use and stopped at exit."""
    global _server
    if _server is None:
        root = tempfile.mkdtemp(prefix="sb-kv-compat-")
        _dirs.append(root)
        world = Path(root) / "world.toml"
        world.write_text(WORLD)
        s = Skybridge(harness.skybridge_bin(), Path(root) / "data", world)
        s.start()
        _server = s
        atexit.register(_stop)
    return _server


def vault_url(sky: Skybridge) -> str:
    return sky.endpoints["vaults"][VAULT]["uri"]


def transport(sky: Skybridge) -> RequestsTransport:
    """A transport trusting this server's CA and ignoring proxy variables."""
    return RequestsTransport(connection_verify=sky.ca, use_env_settings=False)


def credential(sky: Skybridge, app: str, tenant: str = "home", secret: str = SECRET) -> ClientSecretCredential:
    """azure-identity's ClientSecretCredential for `<tenant>/<app>` of `sky` (default: this
    module's world and secret)."""
    return ClientSecretCredential(
        sky.endpoints["tenants"][tenant]["tenant_id"],
        sky.endpoints["applications"][f"{tenant}/{app}"]["client_id"],
        secret,
        authority=sky.authority,
        disable_instance_discovery=True,
        transport=transport(sky),
    )


def vault_resource(sky: Skybridge) -> str:
    return f"https://vault.{harness.DOMAIN}:{sky.port}"
