"""The sandbox's data plane: apps run as real local processes, health-checked over HTTP.

Two kinds of process run here, both started and stopped by the sandbox, on loopback only:

- the legacy app on its modelled instance (``sandbox.instances``): its command from its folder,
  with the instance's environment;
- an Express task: the container of an image the sandbox's CodeBuild built (``sandbox.images``),
  run from the image's files with the image's ``ENV``, the service's ``environment`` and its
  ``secrets`` (read from Secrets Manager by ``valueFrom``, as the ECS agent does with the
  execution role), and the container's ``command`` or the image's.

One thing differs from a container, and the processes are told so: they share this machine's
network, where the app's port may be taken, so each listens on a free loopback port passed as
``PORT`` (the port mapping ``docker run -p`` would do), with ``BIND_ADDRESS=127.0.0.1``. An app
that ignores ``PORT`` fails its health check here. The user is not switched (the sandbox may not
run as root), and programs named bare (``node``, ``python``) are the host's.

A task is healthy once its health path answers 2xx or 3xx (the Express target group's default
success codes are 200–399 as an ALB's are; ELB User Guide, "Health checks for Application Load
Balancer target groups", Matcher). A process that exits is a stopped container with its exit
code; one that never answers is a failed health check.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.aws_server import free_port

#: Real seconds a process gets to answer its health path before it counts as unhealthy.
HEALTH_WAIT_SECONDS = 15.0


@dataclass
class Running:
    """A process serving an app on ``127.0.0.1:port``."""

    name: str
    process: subprocess.Popen[bytes] | None
    port: int
    log: Path
    outcome: str = "healthy"  # healthy | crash-loop | failing-health-check
    exit_code: int | None = None
    reason: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None  # the folder the process runs in (the image's root, for a task)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, limit: int = 400) -> str:
        try:
            return self.log.read_text(errors="replace")[-limit:].strip()
        except OSError:
            return ""


RUNNING: dict[str, Running] = {}


def _program(argv: list[str], workdir: str, root: Path) -> list[str]:
    """The argv on this machine: the image's paths under its root, interpreters the host's.

    The program itself is taken from the folder when it is there and executable; otherwise
    (``node``, ``/usr/bin/node``, a virtualenv's ``python`` whose folder is not captured) it is
    the host's program of that name, Python being this interpreter.
    """
    out = []
    for index, arg in enumerate(argv):
        mapped = arg
        if arg == workdir or arg.startswith(workdir.rstrip("/") + "/"):
            mapped = str(root / posixpath.relpath(arg, workdir))
        if index == 0 and not (Path(mapped).is_file() and os.access(mapped, os.X_OK)):
            name = posixpath.basename(arg)
            mapped = sys.executable if name.startswith("python") else shutil.which(name) or mapped
        out.append(mapped)
    return out


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 400
    except urllib.error.HTTPError as error:
        return 200 <= error.code < 400
    except OSError:
        return False


def start(
    name: str,
    argv: list[str],
    *,
    cwd: Path,
    workdir: str,
    environment: dict[str, str],
    health_path: str,
    wait: float = HEALTH_WAIT_SECONDS,
) -> Running:
    """Start a process, wait for its health path; return it with its outcome."""
    stop(name)
    port = free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment}
    env.update(PORT=str(port), BIND_ADDRESS="127.0.0.1")
    log = Path(tempfile.mkstemp(prefix=f"sandbox-{name.replace('/', '-')}-", suffix=".log")[1])
    handle = log.open("wb")
    try:
        process = subprocess.Popen(
            _program(argv, workdir, cwd),
            cwd=cwd,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as error:
        handle.close()
        running = Running(name, None, port, log, "crash-loop", 127)
        running.reason = f"CannotStartContainerError: {error}"
        RUNNING[name] = running
        return running
    handle.close()
    running = Running(name, process, port, log, environment=env, cwd=cwd)
    RUNNING[name] = running
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            running.outcome, running.exit_code = "crash-loop", code
            running.reason = "Essential container in task exited"
            return running
        if _healthy(running.url + health_path):
            return running
        time.sleep(0.05)
    running.outcome = "failing-health-check"
    stop(name, keep=True)
    return running


def stop(name: str, keep: bool = False) -> None:
    """Stop a process (and its children); forget it unless ``keep``."""
    running = RUNNING.get(name) if keep else RUNNING.pop(name, None)
    if running is None:
        return
    if running.process is not None and running.process.poll() is None:
        try:
            os.killpg(running.process.pid, 15)
        except (ProcessLookupError, PermissionError):
            running.process.terminate()
        try:
            running.process.wait(5)
        except subprocess.TimeoutExpired:
            running.process.kill()
    if not keep:
        running.log.unlink(missing_ok=True)


def stop_all() -> None:
    """Stop every process the sandbox started."""
    for name in list(RUNNING):
        stop(name)


def secret_values(secrets: list[dict[str, Any]], read: Any) -> dict[str, str]:
    """Resolve ``{name, valueFrom}`` secrets as the ECS agent does (JSON key of a secret).

    ``valueFrom`` is ``<secret ARN>[:<json-key>:<version-stage>:<version-id>]`` (ECS Developer
    Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables").
    """
    values = {}
    for secret in secrets:
        value_from = str(secret["valueFrom"])
        parts = value_from.split(":")
        arn, key = ":".join(parts[:7]), parts[7] if len(parts) > 7 else ""
        text = read(arn)
        values[secret["name"]] = str(json.loads(text)[key]) if key else text
    return values
