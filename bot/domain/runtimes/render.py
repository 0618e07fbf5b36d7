"""Rendering a Dockerfile for a detected runtime: the parts every template shares."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from bot.domain.runtimes.command import IMAGE_WORKDIR
from bot.domain.runtimes.model import Detection, UnsupportedRuntimeError

APP_UID = "10001"  # the user the Debian, Ubuntu and Alpine based images create (not root)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PROCESS_MANAGERS = {"pm2", "pm2-runtime", "forever", "nodemon", "supervisord", "systemctl"}


@dataclass(frozen=True)
class Spec:
    """What a runtime template needs: the detection, the port, the probe URL and the command."""

    detection: Detection
    port: int
    health_path: str
    argv: list[str]
    environment: tuple[str, ...] = ()

    @property
    def health_url(self) -> str:
        """Return the URL the HEALTHCHECK requests inside the container."""
        return f"http://127.0.0.1:{self.port}{self.health_path}"


def exec_form(argv: Sequence[str]) -> str:
    """Return ``argv`` as a Dockerfile exec-form JSON array (quotes and backslashes escaped)."""
    return json.dumps(list(argv))


def url_path(path: str) -> str:
    """Return the target group's health path made safe for a URL (spaces percent-encoded)."""
    if not path.startswith("/"):
        raise UnsupportedRuntimeError(f"the health check path {path!r} does not start with '/'")
    return quote(path, safe="/:@!$&'()*+,;=-._~?%")


def check_port(port: int) -> int:
    """Return ``port`` when it is a TCP port number, else refuse."""
    if not 1 <= port <= 65535:
        raise UnsupportedRuntimeError(f"the app's port {port} is not a TCP port (1-65535)")
    return port


def start_command_problem(argv: Sequence[str]) -> str | None:
    """Say why a start command cannot run in the image as it is, or None when it can."""
    if not argv:
        return "No start command was found for the app; enter it in the plan (Edit)."
    name = argv[0].rsplit("/", 1)[-1]
    if name in _PROCESS_MANAGERS:
        return (
            f"The app is started by {name}, a process manager the image does not have; "
            "edit the plan's start command to the app's own (e.g. `node server.js`)."
        )
    return None


def environment_comment(names: Sequence[str]) -> list[str]:
    """Return a comment naming the variables the service sets at run time (never values)."""
    safe = sorted({name for name in names if _ENV_NAME.fullmatch(name)})
    if not safe:
        return []
    return [f"# Set by the service at run time, never baked in: {', '.join(safe)}"]


def tail(spec: Spec, *, user: str, probe: Sequence[str]) -> list[str]:
    """Return the closing instructions: port, non-root user, HEALTHCHECK and CMD."""
    return [
        f"ENV PORT={spec.port}",
        f"EXPOSE {spec.port}",
        f"USER {user}",
        "HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\",
        f"  CMD {exec_form(probe)}",
        f"CMD {exec_form(spec.argv)}",
    ]


def debian_user() -> str:
    """Return the RUN that creates the non-root app user on a Debian or Ubuntu image."""
    return (
        f"RUN groupadd --system --gid {APP_UID} app "
        f"&& useradd --system --uid {APP_UID} --gid app --home-dir {IMAGE_WORKDIR} "
        "--no-create-home --shell /usr/sbin/nologin app"
    )


def alpine_user() -> str:
    """Return the RUN that creates the non-root app user on an Alpine image (BusyBox)."""
    return (
        f"RUN addgroup -S -g {APP_UID} app "
        f"&& adduser -S -D -H -u {APP_UID} -G app -h {IMAGE_WORKDIR} app"
    )


def wget_probe(url: str) -> list[str]:
    """Return a probe using BusyBox wget (Alpine images; it fails on 4xx and 5xx)."""
    return ["wget", "-q", "-T", "4", "-O", "/dev/null", url]


Template = Callable[[Spec], list[str]]
