"""Session fixtures: one `skybridge up` for the whole suite, the host names resolved to it, and
its dev CA trusted the way real users trust it (REQUESTS_CA_BUNDLE)."""

from __future__ import annotations

import os
import signal
import socket

import pytest
import requests

import harness
from harness import Skybridge

TEST_TIME_LIMIT = 120  # seconds per test, so a hung request fails instead of hanging CI


@pytest.fixture(scope="session", autouse=True)
def skybridge_dns():
    """`*.skybridge.localhost` resolves to 127.0.0.1 in this process (ports are kept)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", harness.patched_getaddrinfo())
        yield


@pytest.fixture(autouse=True)
def time_bound():
    """Fails a test that runs longer than TEST_TIME_LIMIT (pytest runs tests on the main thread)."""

    def expired(signum, frame):
        raise TimeoutError(f"test took longer than {TEST_TIME_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def certs():
    """The registered client certificate and a second one that is registered nowhere."""
    return {"client": harness.make_cert("client-app"), "other": harness.make_cert("unregistered")}


@pytest.fixture(scope="session")
def world(tmp_path_factory, certs):
    return harness.write_world(tmp_path_factory.mktemp("world"), certs["client"])


@pytest.fixture(scope="session")
def sky(tmp_path_factory, world, skybridge_dns):
    """The running server. Stopped with SIGTERM at the end, which must exit 0."""
    server = Skybridge(harness.skybridge_bin(), tmp_path_factory.mktemp("sky") / "data", world)
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    with pytest.MonkeyPatch.context() as mp:
        # What users do: trust the dev CA for every requests-based client (msal, azure-core).
        mp.setenv("REQUESTS_CA_BUNDLE", server.ca)
        # A proxy in the environment must not swallow the local host names.
        for var in ("NO_PROXY", "no_proxy"):
            mp.setenv(var, ",".join(filter(None, [os.environ.get(var), "." + harness.DOMAIN])))
        try:
            yield server
        finally:
            rc = server.stop()
    assert rc == 0, f"skybridge exited with {rc} on SIGTERM{server._log_tail()}"
    assert "skybridge stopped" in server.stdout_lines, server.stdout_lines


@pytest.fixture
def wire(monkeypatch):
    """Records every request that goes through `requests` (msal and azure-core both do), so
    tests can show what the SDKs actually sent."""
    sent: list[requests.PreparedRequest] = []
    real_send = requests.adapters.HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        sent.append(request)
        return real_send(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return sent


@pytest.fixture
def identity_env(sky, monkeypatch):
    """Gives this process a resource's managed identity the way Azure does, through environment
    variables set before a credential is built: `identity_env("orders-sync", "app_service")` sets
    IDENTITY_ENDPOINT + IDENTITY_HEADER, `identity_env("orders-sync", "imds")` sets
    AZURE_POD_IDENTITY_AUTHORITY_HOST (no trailing slash). Every other variable that steers the
    SDKs' choice of source is cleared first; all is undone after the test."""
    for var in harness.MI_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    # The identity endpoints are plain HTTP on 127.0.0.1: keep any proxy away from them.
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(var, ",".join(filter(None, [os.environ.get(var), "127.0.0.1"])))

    def use(resource: str, protocol: str) -> dict:
        entry = sky.identity(resource)
        if protocol == "app_service":
            monkeypatch.setenv("IDENTITY_ENDPOINT", entry["identity_endpoint"])
            monkeypatch.setenv("IDENTITY_HEADER", entry["identity_header"])
        elif protocol == "imds":
            monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", entry["imds_endpoint"])
        else:
            raise ValueError(protocol)
        return entry

    return use
