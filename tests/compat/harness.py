"""Helpers for the compatibility suite: running `skybridge up`, the world and its certificates,
verifying tokens with PyJWT, building client assertions by hand, and checking Entra errors.

Every wait here is bounded; nothing depends on how fast the machine is beyond generous limits.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import queue
import signal
import socket
import ssl
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

DOMAIN = "skybridge.localhost"
SECRET = "at-least-16-characters-long-secret"
# orders-uami's principal (object) id, fixed in the world so a credential can name it in upper case.
UAMI_PRINCIPAL_ID = "5c7a1e0b-2f4d-4b8e-9a6c-3d1f0e2b7a94"
READY_TIMEOUT = 90  # seconds for `skybridge up` to print its ready line (cold debug build)
STOP_TIMEOUT = 30  # seconds for SIGTERM to end it (graceful shutdown waits at most 10 s)
HTTP_TIMEOUT = 30  # seconds for any raw HTTP request

REPO = Path(__file__).resolve().parents[2]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# --- the binary ---------------------------------------------------------------------------------


def skybridge_bin() -> Path:
    """`SKYBRIDGE_BIN`, else the repo's target/debug build, else `$CARGO_TARGET_DIR`'s."""
    explicit = os.environ.get("SKYBRIDGE_BIN")
    if explicit:
        return Path(explicit)
    local = REPO / "target" / "debug" / "skybridge"
    if local.exists():
        return local
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        return Path(target) / "debug" / "skybridge"
    return local


# --- name resolution ----------------------------------------------------------------------------

_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, port, *args, **kwargs):
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    if isinstance(name, str) and name.lower().rstrip(".").endswith("." + DOMAIN):
        host = "127.0.0.1"
    return _real_getaddrinfo(host, port, *args, **kwargs)


def patched_getaddrinfo():
    """A `socket.getaddrinfo` that maps every `*.skybridge.localhost` to 127.0.0.1."""
    return _getaddrinfo


# --- certificates -------------------------------------------------------------------------------


@dataclass
class ClientCert:
    """An RSA-2048 key and its self-signed certificate, with every thumbprint spelling."""

    key_pem: str
    cert_pem: str
    cert_der: bytes

    @property
    def sha1_hex(self) -> str:
        return hashlib.sha1(self.cert_der).hexdigest()

    @property
    def x5t(self) -> str:
        return b64url(hashlib.sha1(self.cert_der).digest())

    @property
    def x5t_s256(self) -> str:
        return b64url(hashlib.sha256(self.cert_der).digest())

    @property
    def x5c(self) -> str:
        return base64.b64encode(self.cert_der).decode("ascii")

    @property
    def key_and_cert_pem(self) -> bytes:
        return (self.key_pem + self.cert_pem).encode("ascii")


def make_cert(common_name: str) -> ClientCert:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return ClientCert(
        key_pem=key_pem,
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        cert_der=cert.public_bytes(serialization.Encoding.DER),
    )


# --- the world ----------------------------------------------------------------------------------

WORLD = f"""\
version = 1

[[tenant]]
name = "home"

[[tenant]]
name = "partner"

# A v2 API: aud = its client id.
[[application]]
tenant = "partner"
name = "orders-api"
identifier_uris = ["api://orders"]
access_token_version = 2
  [[application.app_role]]
  value = "Orders.Read"
  [[application.app_role]]
  value = "Orders.Write"

# A v1 API (the default version): aud = the resource as requested.
[[application]]
tenant = "partner"
name = "legacy-api"
identifier_uris = ["api://legacy"]
  [[application.app_role]]
  value = "Legacy.Read"

[[application]]
tenant = "partner"
name = "client-app"
  [[application.secret]]
  name = "ci"
  value = "{SECRET}"
  [[application.certificate]]
  name = "rsa-cert"
  file = "client.pem"

[[app_role_assignment]]
tenant = "partner"
principal = "client-app"
resource = "orders-api"
role = "Orders.Read"

# --- managed identities (home tenant) and workload identity federation ---

# A user-assigned identity. Its principal id is fixed so case-app below can name it in upper case.
[[managed_identity]]
tenant = "home"
name = "orders-uami"
principal_id = "{UAMI_PRINCIPAL_ID}"

# Carries a system-assigned identity and the user-assigned one.
[[resource]]
name = "orders-sync"
tenant = "home"
kind = "workflow"
system_assigned = true
user_assigned = ["orders-uami"]

# Carries only the user-assigned identity (no system-assigned one).
[[resource]]
name = "uami-host"
tenant = "home"
kind = "host"
user_assigned = ["orders-uami"]

# A v2 API of the home tenant; each identity holds a different role on it.
[[application]]
tenant = "home"
name = "home-api"
identifier_uris = ["api://home"]
access_token_version = 2
  [[application.app_role]]
  value = "Home.Read"
  [[application.app_role]]
  value = "Home.Write"

[[app_role_assignment]]
tenant = "home"
managed_identity = "orders-sync"
resource = "home-api"
role = "Home.Read"

[[app_role_assignment]]
tenant = "home"
managed_identity = "orders-uami"
resource = "home-api"
role = "Home.Write"

# Multi-tenant, homed in home, trusting orders-uami's tokens; provisioned into partner with a role.
[[application]]
tenant = "home"
name = "fic-app"
multi_tenant = true
  [[application.federated_credential]]
  name = "from-uami"
  issuer_tenant = "home"
  subject_identity = "home/orders-uami"

[[service_principal]]
tenant = "partner"
application = "home/fic-app"

[[app_role_assignment]]
tenant = "partner"
principal = "home/fic-app"
resource = "orders-api"
role = "Orders.Read"

# The same issuer and subject, but another audience (AADSTS700212).
[[application]]
tenant = "home"
name = "other-audience-app"
multi_tenant = true
  [[application.federated_credential]]
  name = "other-audience"
  issuer_tenant = "home"
  subject_identity = "home/orders-uami"
  audiences = ["api://SomeOtherExchange"]

[[service_principal]]
tenant = "partner"
application = "home/other-audience-app"

# The uami's principal id in upper case: differs only in case (AADSTS7002138).
[[application]]
tenant = "home"
name = "case-app"
multi_tenant = true
  [[application.federated_credential]]
  name = "upper-case-subject"
  issuer_tenant = "home"
  subject = "{UAMI_PRINCIPAL_ID.upper()}"

[[service_principal]]
tenant = "partner"
application = "home/case-app"
"""


def write_world(directory: Path, client: ClientCert) -> Path:
    """Writes the world file and the client's certificate (public part only) beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "client.pem").write_text(client.cert_pem)
    path = directory / "world.toml"
    path.write_text(WORLD)
    return path


# --- the server ---------------------------------------------------------------------------------


class Skybridge:
    """One `skybridge up` process on a data directory."""

    def __init__(self, binary: Path, data_dir: Path, world: Path):
        self.binary = binary
        self.data_dir = data_dir
        self.world = world
        self.proc: subprocess.Popen | None = None
        self.stdout_lines: list[str] = []
        self._lines: queue.Queue = queue.Queue()
        self._reader: threading.Thread | None = None
        self._stderr = None
        self.endpoints: dict = {}

    # lifecycle

    @property
    def stderr_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.stderr.log"

    def _env(self) -> dict:
        env = dict(os.environ)
        env.setdefault("SKYBRIDGE_LOG", "warn")
        # The server must not inherit variables that would change its addresses.
        for var in (
            "SKYBRIDGE_PORT", "SKYBRIDGE_DOMAIN", "SKYBRIDGE_LISTEN", "SKYBRIDGE_WORLD", "SKYBRIDGE_IDENTITY_PORT",
        ):
            env.pop(var, None)
        return env

    def start(self) -> "Skybridge":
        if not self.binary.exists():
            raise RuntimeError(
                f"skybridge binary not found at {self.binary}; build it with "
                "`cargo build -p skybridge` or set SKYBRIDGE_BIN"
            )
        self.stdout_lines = []
        self._lines = queue.Queue()
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [
                str(self.binary), "up",
                "--data-dir", str(self.data_dir),
                "--port", "0",
                "--world", str(self.world),
                "--domain", DOMAIN,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=self._env(),
            text=True,
        )
        self._reader = threading.Thread(target=self._read_stdout, args=(self.proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise RuntimeError(f"skybridge printed no ready line in {READY_TIMEOUT} s{self._log_tail()}")
            try:
                line = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line is None:  # stdout closed: the process ended
                rc = self.proc.wait(timeout=STOP_TIMEOUT)
                raise RuntimeError(f"skybridge exited with {rc} before it was ready{self._log_tail()}")
            if line.startswith("skybridge ready in "):
                self.ready_line = line
                break
        self.endpoints = json.loads((self.data_dir / "endpoints.json").read_text())
        listen = self.endpoints["listen"]
        if listen.rsplit(":", 1)[1] not in line:
            raise RuntimeError(f"ready line {line!r} does not name the listener {listen}")
        return self

    def _read_stdout(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            self.stdout_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _log_tail(self) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            text = ""
        out = "\n".join(self.stdout_lines[-20:])
        return f"\n--- stdout ---\n{out}\n--- stderr ---\n{text}"

    def stop(self) -> int:
        """SIGTERM, then wait (bounded). Returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"skybridge did not stop within {STOP_TIMEOUT} s of SIGTERM{self._log_tail()}")
        if self._reader is not None:
            self._reader.join(timeout=STOP_TIMEOUT)
        if self._stderr is not None:
            self._stderr.close()
        return rc

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        if self._stderr is not None:
            self._stderr.close()

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Runs another `skybridge` command on the same data directory (bounded)."""
        return subprocess.run(
            [str(self.binary), *args, "--data-dir", str(self.data_dir)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=self._env(),
            timeout=READY_TIMEOUT,
        )

    # what endpoints.json says

    @property
    def authority(self) -> str:
        return self.endpoints["authority"]

    @property
    def ca(self) -> str:
        return self.endpoints["ca_certificate"]

    @property
    def port(self) -> int:
        return int(self.endpoints["listen"].rsplit(":", 1)[1])

    def tenant_id(self, name: str = "partner") -> str:
        return self.endpoints["tenants"][name]["tenant_id"]

    def client_id(self, app: str) -> str:
        return self.endpoints["applications"][f"partner/{app}"]["client_id"]

    def app_id(self, key: str) -> str:
        """Client id of `<tenant>/<application>`."""
        return self.endpoints["applications"][key]["client_id"]

    def identity(self, name: str) -> dict:
        """The endpoints.json `managed_identities` entry of a resource or user-assigned identity."""
        return self.endpoints["managed_identities"][name]

    def token_url(self, tenant: str, v1: bool = False) -> str:
        return f"{self.authority}/{tenant}/oauth2/{'token' if v1 else 'v2.0/token'}"

    def v1_issuer(self, tenant_id: str) -> str:
        return f"https://sts.{DOMAIN}:{self.port}/{tenant_id}/"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca)

    def get(self, url: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        kwargs.setdefault("verify", self.ca)
        return requests.get(url, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        kwargs.setdefault("verify", self.ca)
        return requests.post(url, **kwargs)

    def trigger_workflow(self, name: str) -> tuple[requests.Response, str]:
        """POSTs `{}` to workflow `name`'s callback URL; returns the answer and the run id."""
        response = self.post(self.endpoints["workflows"][name]["trigger_url"], json={})
        return response, response.headers["x-ms-workflow-run-id"]

    def run_action(self, name: str, run_id: str, action: str) -> dict:
        """An action's run-history record (its `properties`) from the Logic Apps management API.
        Asserts that no token or assertion (`eyJ…`) appears in it."""
        r = self.get(f"{self.endpoints['workflows'][name]['management_url']}/runs/{run_id}/actions/{action}")
        assert r.status_code == 200, r.text
        assert "eyJ" not in r.text, "no token or assertion in the run history"
        return r.json()["properties"]

    def discovery(self, tenant: str, v1: bool = False) -> dict:
        path = ".well-known/openid-configuration" if v1 else "v2.0/.well-known/openid-configuration"
        r = self.get(f"{self.authority}/{tenant}/{path}")
        assert r.status_code == 200, r.text
        return r.json()

    def jwks(self, tenant: str, v1: bool = False) -> dict:
        r = self.get(self.discovery(tenant, v1)["jwks_uri"])
        assert r.status_code == 200, r.text
        return r.json()

    def secret_token(self, tenant: str = "partner", scope: str = "api://orders/.default") -> str:
        """A token by a raw secret POST to the v2 endpoint."""
        r = self.post(
            self.token_url(tenant),
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id("client-app"),
                "client_secret": SECRET,
                "scope": scope,
            },
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"]


# --- verifying tokens ---------------------------------------------------------------------------


@dataclass
class Verified:
    header: dict
    claims: dict
    jwks: dict = field(default_factory=dict)


def verify_token(
    token: str,
    *,
    jwks_uri: str,
    issuer: str,
    audience: str,
    ca: str,
    lifetime: tuple[int, int] = (3600 - 60, 5400 + 60),
) -> Verified:
    """Verifies `token` as a resource server would: PyJWT with the JWKS from the discovery
    document, RS256 only, exact issuer and audience. Also checks the header's kid/x5t and that
    the kid is published. `lifetime` bounds the seconds left until `exp` (Entra's 60-90 minutes
    with a minute of slack each side, unless told)."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256", header
    assert header.get("typ") == "JWT", header
    assert header["kid"] == header["x5t"], header
    client = jwt.PyJWKClient(
        jwks_uri,
        cache_jwk_set=False,
        ssl_context=ssl.create_default_context(cafile=ca),
        timeout=HTTP_TIMEOUT,
    )
    signing_key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "tid", "oid"]},
    )
    jwks = requests.get(jwks_uri, verify=ca, timeout=HTTP_TIMEOUT).json()
    published = {k["kid"]: k for k in jwks["keys"]}
    assert header["kid"] in published, (header["kid"], list(published))
    assert published[header["kid"]]["x5t"] == header["x5t"]
    # Common app-only claims.
    now = time.time()
    assert claims["idtyp"] == "app"
    assert claims["oid"] == claims["sub"]
    uuid.UUID(claims["oid"])
    assert claims["nbf"] <= now + 5 and claims["iat"] <= now + 5, claims
    assert lifetime[0] <= claims["exp"] - now <= lifetime[1], claims["exp"] - now
    assert claims["uti"] and claims["rh"]
    return Verified(header=header, claims=claims, jwks=jwks)


def verify_v2(sky: Skybridge, token: str, *, acr: str, tenant: str = "partner") -> dict:
    """A v2 token for orders-api issued to client-app."""
    doc = sky.discovery(tenant)
    tid = sky.tenant_id("partner")
    v = verify_token(
        token,
        jwks_uri=doc["jwks_uri"],
        issuer=doc["issuer"],
        audience=sky.client_id("orders-api"),
        ca=sky.ca,
    )
    c = v.claims
    assert c["iss"] == f"{sky.authority}/{tid}/v2.0"
    assert c["tid"] == tid
    assert c["aud"] == sky.client_id("orders-api")
    assert c["azp"] == sky.client_id("client-app")
    assert c["azpacr"] == acr
    assert c["ver"] == "2.0"
    assert c["roles"] == ["Orders.Read"]
    assert c["oid"] != sky.client_id("client-app")  # the service principal, not the app
    for v1_only in ("appid", "appidacr", "idp"):
        assert v1_only not in c, v1_only
    return c


# --- client assertions built by hand ------------------------------------------------------------


def make_assertion(
    cert: ClientCert | None,
    *,
    client_id: str,
    audience: str,
    alg: str = "RS256",
    headers: dict | None = None,
    lifetime: int = 600,
    now: int | None = None,
    **claims,
) -> str:
    """An RFC 7523 client assertion signed with `cert`'s key, naming it by `x5t` (SHA-1)."""
    now = int(time.time()) if now is None else now
    payload = {
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
    }
    payload.update(claims)
    hdr = {"x5t": cert.x5t} if cert is not None else {}
    hdr.update(headers or {})
    if alg == "none":
        key = None
    elif alg.startswith("HS"):
        key = "an-hmac-key-that-is-long-enough-for-hs256!!"
    else:
        assert cert is not None
        key = cert.key_pem
    return jwt.encode(payload, key, algorithm=alg, headers=hdr)


# --- Entra errors -------------------------------------------------------------------------------


def assert_aad_error(r: requests.Response, status: int, error: str, code: int | None) -> dict:
    """Checks an Entra-shaped error body: status, `error`, `error_codes`, and the description's
    `AADSTSnnnn:` prefix and trace lines. `code=None` accepts any AADSTS number."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    body = r.json()
    assert body["error"] == error, body
    assert len(body["error_codes"]) == 1 and isinstance(body["error_codes"][0], int), body
    if code is None:
        code = body["error_codes"][0]
    assert body["error_codes"][0] == code, body
    desc = body["error_description"]
    assert desc.startswith(f"AADSTS{code}:"), desc
    assert "\r\nTrace ID: " in desc, desc
    assert "\r\nCorrelation ID: " in desc, desc
    assert "\r\nTimestamp: " in desc, desc
    assert body["trace_id"] in desc and body["correlation_id"] in desc
    uuid.UUID(body["trace_id"])
    uuid.UUID(body["correlation_id"])
    dt.datetime.strptime(body["timestamp"], "%Y-%m-%d %H:%M:%SZ")
    assert body["error_uri"].endswith(f"code={code}"), body["error_uri"]
    return body


def assert_msal_error(result: dict, error: str, code: int) -> None:
    """msal returns the error body as a dict instead of raising."""
    assert "access_token" not in result, result
    assert result.get("error") == error, result
    assert result.get("error_codes", [None])[0] == code, result
    assert result["error_description"].startswith(f"AADSTS{code}:"), result
    assert "Trace ID:" in result["error_description"], result


def sent_token_requests(sent: list) -> list[dict]:
    """The form bodies of recorded POSTs to a token endpoint."""
    from urllib.parse import parse_qs

    out = []
    for req in sent:
        if req.method == "POST" and "/oauth2/" in req.url and req.url.endswith("/token"):
            body = req.body.decode() if isinstance(req.body, bytes) else (req.body or "")
            out.append({k: v[0] for k, v in parse_qs(body).items()})
    return out


def sent_assertion(sent: list) -> tuple[dict, dict]:
    """(header, claims) of the one client assertion the recorded requests carried."""
    forms = [f for f in sent_token_requests(sent) if "client_assertion" in f]
    assert len(forms) == 1, forms
    token = forms[0]["client_assertion"]
    assert forms[0]["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


# --- managed identities -------------------------------------------------------------------------

MI_TOKEN_LIFETIME = 86_400  # seconds; managed-identity tokens live about a day
TOKEN_EXCHANGE = "api://AzureADTokenExchange"
TOKEN_EXCHANGE_APP_ID = "fb60f99c-7a34-4190-8149-302f77469936"  # the audience its tokens carry
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# Every variable azure-identity or msal reads to pick a managed-identity source (or a credential
# ahead of it). Tests clear them all, then set only the ones of the source they mean.
MI_ENV_VARS = (
    "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT",
    "MSI_ENDPOINT", "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZUREPS_HOST_ENVIRONMENT",
    "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
    "AZURE_TOKEN_CREDENTIALS",
)


def mi_get(sky: Skybridge, caller: str, protocol: str, *, target: str | None, header: str | None = "default",
           path: str = "/metadata/identity/oauth2/token", **params) -> requests.Response:
    """A raw managed-identity token request from `caller` (a [[resource]] name) for `target`,
    as the platform's protocol spells it: `app_service` (IDENTITY_ENDPOINT + X-IDENTITY-HEADER,
    api-version 2019-08-01) or `imds` (Metadata: true, api-version 2018-02-01). `header=None`
    leaves the protocol's header out; another string replaces its value. `params` adds
    client_id=, object_id=, ... or replaces a parameter; a None value drops it."""
    entry = sky.identity(caller)
    if protocol == "app_service":
        url = entry["identity_endpoint"]
        query = {"api-version": "2019-08-01", "resource": target}
        name, value = "X-IDENTITY-HEADER", entry["identity_header"]
    else:
        url = entry["imds_endpoint"] + path
        query = {"api-version": "2018-02-01", "resource": target}
        name, value = "Metadata", "true"
    params = {k: v for k, v in {**query, **params}.items() if v is not None}
    headers = {} if header is None else {name: value if header == "default" else header}
    return requests.get(url, params=params, headers=headers, timeout=HTTP_TIMEOUT)


def verify_mi(sky: Skybridge, token: str, *, identity: dict, audience: str, v1: bool,
              roles: list[str] | None = None) -> dict:
    """A managed-identity token, verified against the *home* tenant's discovery document of its
    version (v1: `iss` on sts., `appid`; v2: `iss` .../v2.0, `azp`). `identity` is the
    endpoints.json entry of the identity it must name (a resource's entry for its system-assigned
    identity). `roles=None` means no `roles` claim."""
    tid = sky.tenant_id("home")
    doc = sky.discovery(tid, v1=v1)
    c = verify_token(
        token,
        jwks_uri=doc["jwks_uri"],
        issuer=doc["issuer"],
        audience=audience,
        ca=sky.ca,
        # The server hands out a cached token until ten minutes before its expiry.
        lifetime=(MI_TOKEN_LIFETIME - 600, MI_TOKEN_LIFETIME + 60),
    ).claims
    assert c["tid"] == tid
    assert c["aud"] == audience
    assert c["oid"] == c["sub"] == identity["principal_id"]
    assert c["xms_mirid"] == identity["resource_id"]
    # A day from issue; `iat`/`nbf` are backdated five minutes, as Entra does (exp - iat = 86700).
    assert c["exp"] - c["iat"] == MI_TOKEN_LIFETIME + 300
    if v1:
        assert c["iss"] == sky.v1_issuer(tid) == doc["issuer"]
        assert c["ver"] == "1.0"
        assert c["appid"] == identity["client_id"]
        assert c["appidacr"] == "2"
        assert c["idp"] == c["iss"]
        for v2_only in ("azp", "azpacr"):
            assert v2_only not in c, v2_only
    else:
        assert c["iss"] == f"{sky.authority}/{tid}/v2.0" == doc["issuer"]
        assert c["ver"] == "2.0"
        assert c["azp"] == identity["client_id"]
        assert c["azpacr"] == "2"
        for v1_only in ("appid", "appidacr", "idp"):
            assert v1_only not in c, v1_only
    if roles is None:
        assert "roles" not in c, c["roles"]
    else:
        assert c["roles"] == roles
    return c


def sent_identity_requests(sent: list) -> list[tuple[str, str, dict, dict]]:
    """(method, URL without query, query parameters, headers) of recorded requests to a
    managed-identity endpoint (plain HTTP)."""
    from urllib.parse import parse_qs, urlsplit

    out = []
    for req in sent:
        u = urlsplit(req.url)
        if u.scheme == "http":
            params = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
            out.append((req.method, f"{u.scheme}://{u.netloc}{u.path}", params, dict(req.headers)))
    return out
