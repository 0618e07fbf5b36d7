"""Name resolution for the sandbox's process: the load balancers' DNS names reach their
stand-ins on loopback, as an ``/etc/hosts`` entry with a port would.

On AWS a Lambda function resolves a load balancer's DNS name (``<name>-<id>.<region>.elb.
amazonaws.com``) through the VPC or public DNS and connects to port 443 or 80. Here the
load balancers are stand-ins on free loopback ports, so ``socket.getaddrinfo`` is wrapped for
the names the sandbox knows: ``(name, port)`` resolves to ``127.0.0.1`` and the stand-in's
port. Every other name resolves as before. The bot's code is unchanged: it connects to the
name and port it would connect to on AWS.

The stand-ins' certificates come from a local test CA; ``trust()`` puts that CA in a file
named by ``SSL_CERT_FILE``, which OpenSSL's default verify paths read (Python's
``ssl.create_default_context`` loads them), so the bot verifies certificates as on AWS, only
against the sandbox's CA. Both are undone by ``uninstall()``.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: (name, port) → the loopback port to connect to, or None when the name is not the sandbox's.
Lookup = Callable[[str, int], int | None]

_lock = threading.Lock()
_state: dict[str, Any] = {"original": None, "lookups": [], "bundle": None, "saved": None}


def install(lookup: Lookup) -> None:
    """Resolve the names ``lookup`` knows to loopback (several lookups may be installed)."""
    with _lock:
        _state["lookups"].append(lookup)
        if _state["original"] is not None:
            return
        original = socket.getaddrinfo
        _state["original"] = original

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(host, str) and port is not None:
                for known in list(_state["lookups"]):
                    local = known(host.lower().rstrip("."), int(port))
                    if local is not None:
                        return original("127.0.0.1", local, *args, **kwargs)
            return original(host, port, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo


def trust(ca_pem: bytes) -> None:
    """Verify TLS against the sandbox's test CA (``SSL_CERT_FILE``)."""
    with _lock:
        handle, name = tempfile.mkstemp(prefix="migrate-bot-ca-", suffix=".pem")
        with os.fdopen(handle, "wb") as file:
            file.write(ca_pem)
        if _state["saved"] is None:
            _state["saved"] = (os.environ.get("SSL_CERT_FILE"),)
        if _state["bundle"]:
            Path(_state["bundle"]).unlink(missing_ok=True)
        _state["bundle"] = name
        os.environ["SSL_CERT_FILE"] = name


def uninstall() -> None:
    """Resolve every name as before, and trust what was trusted before."""
    with _lock:
        if _state["original"] is not None:
            socket.getaddrinfo = _state["original"]
            _state["original"] = None
        _state["lookups"].clear()
        if _state["bundle"]:
            Path(_state["bundle"]).unlink(missing_ok=True)
            _state["bundle"] = None
        if _state["saved"] is not None:
            (previous,) = _state["saved"]
            if previous is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = previous
            _state["saved"] = None
