"""The AWS stand-in: moto in server mode on a free loopback port, started by the project."""

from __future__ import annotations

import functools
import os
import socket
import urllib.request
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def use_fake_credentials() -> None:
    """Give boto3 fake credentials (the stand-in accepts any; never real ones) and quiet logs."""
    for name, value in FAKE_CREDENTIALS.items():
        os.environ[name] = value
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


def _remember_each_hosts_backend() -> None:
    """Keep moto's answer to "which backend serves this host?" per host.

    moto 5.2.1's dispatcher (``DomainDispatcherApplication.get_backend_for_host``) lists moto's
    package folder (some 200 ``isdir`` calls) and then tries the URL patterns one by one for
    every request, inside the lock every request of the server waits on; profiled with py-spy
    under a scenario's load, the server's threads spent most of their time queued on that
    lock. The answer depends on the host alone (the folder and the patterns never change while
    the process runs), so it is worked out once per host. What each request does is unchanged.
    """
    original = DomainDispatcherApplication.get_backend_for_host
    if getattr(original, "remembered", False):
        return

    @functools.wraps(original)
    def remembered(self: DomainDispatcherApplication, host: str | None) -> Any:
        known: dict[str | None, Any] = self.__dict__.setdefault("_sandbox_backends", {})
        if host not in known:
            known[host] = original(self, host)
        return known[host]

    remembered.remembered = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = remembered  # type: ignore[method-assign]


class AwsServer:
    """moto's threaded server (every service, one process) with fake credentials."""

    def __init__(self) -> None:
        self.port = free_port()
        _remember_each_hosts_backend()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def endpoint_url(self) -> str:
        """Base URL for boto3's ``endpoint_url`` / ``AWS_ENDPOINT_URL``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start serving; return the endpoint URL."""
        use_fake_credentials()
        self._server.start()
        # moto keeps its state per process: start every run from an empty account.
        reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=10) as response:
            response.read()
        return self.endpoint_url

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()
