"""What runs on the sandbox's EC2 instances: the app's files and process, and the SSM agent.

moto models an instance's metadata only. The stand-ins that act on the instance itself (the
SSM agent running a command) need what a real instance holds: its app folder on disk (a real
folder, copied from ``sandbox/apps/<app>`` into a temporary directory, with what a real app
folder also holds: a VCS folder, installed dependencies, logs and a secrets file) and the
process that serves the app (command line, working directory, user, environment, systemd unit,
the port it listens on). ``INSTANCES`` maps instance ids to them.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

APPS = Path(__file__).parent / "apps"


@dataclass
class AppProcess:
    """The process that serves the app on the instance, as ``/proc`` would show it."""

    folder: Path  # where the instance's working directory lives on this machine
    working_directory: str  # its path on the instance, e.g. /opt/secure-blog
    command: list[str]
    executable: str
    user: str
    port: int
    environment: dict[str, str]
    pid: int = 2917
    systemd_unit: str | None = None
    unit_file: str | None = None


@dataclass
class Instance:
    """One modelled instance: its app (None: nothing listens) and whether SSM manages it."""

    app: AppProcess | None
    ssm_agent: bool = True
    platform: tuple[str, str] = ("Amazon Linux", "2023")
    agent_version: str = "3.3.1142.0"
    extra: dict[str, str] = field(default_factory=dict)


INSTANCES: dict[str, Instance] = {}


def app_folder(app: str) -> Path:
    """A fresh copy of ``sandbox/apps/<app>`` as the instance's folder holds it.

    Beside the app's own files: ``.git/``, ``node_modules/``, a log and a ``.env`` file, which
    the capture must leave out of the bundle.
    """
    root = Path(tempfile.mkdtemp(prefix=f"sandbox-{app}-"))
    folder = root / app
    shutil.copytree(APPS / app, folder)
    for path, text in {
        ".git/HEAD": "ref: refs/heads/main\n",
        "node_modules/.package-lock.json": "{}\n",
        "logs/access.log": "GET / 200\n",
        ".env": "SESSION_SECRET=kept-on-the-instance\n",
    }.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    return folder


def register(instance_id: str, instance: Instance) -> None:
    """Say what runs on ``instance_id``."""
    INSTANCES[instance_id] = instance


def forget() -> None:
    """Forget every modelled instance and remove their folders."""
    for instance in INSTANCES.values():
        if instance.app is not None:
            shutil.rmtree(instance.app.folder.parent, ignore_errors=True)
    INSTANCES.clear()
