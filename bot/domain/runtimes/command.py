"""Rewriting the start command seen on the instance into the command the image runs."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

IMAGE_WORKDIR = "/app"

# Executables the image provides on PATH under their plain name, wherever the instance had them
# (/usr/bin/node, ~/.nvm/.../bin/node, /usr/lib/jvm/.../bin/java, /opt/app/.venv/bin/gunicorn).
_ON_PATH = re.compile(
    r"(node|npm|npx|yarn|pnpm|java|ruby|bundle|rake|rails|puma|unicorn|rackup|php|"
    r"python|python3(\.\d+)?|pip3?|gunicorn|uvicorn|hypercorn|daphne|waitress-serve|flask|"
    r"django-admin|celery|granian)"
)
_VENV_BIN = re.compile(r"/(\.?venv|\.?virtualenv|env|\.env)/bin/[^/]+$")


@dataclass(frozen=True)
class ImageCommand:
    """The command the image runs, and what a person should check about it."""

    argv: list[str]
    warnings: list[str] = field(default_factory=list)


def _normalise_dir(path: str) -> str:
    return posixpath.normpath(path) if path else ""


def _map_path(path: str, workdir: str) -> str | None:
    """Return the image path of an absolute instance path under ``workdir``, else None."""
    if workdir in ("", "/") or not path.startswith("/"):
        return None
    normal = posixpath.normpath(path)
    if normal == workdir:
        return IMAGE_WORKDIR
    if normal.startswith(workdir + "/"):
        return IMAGE_WORKDIR + normal[len(workdir) :]
    return None


def _executable(arg: str) -> str | None:
    """Return the plain name the image has for an interpreter or tool path, else None."""
    name = posixpath.basename(arg)
    if not _ON_PATH.fullmatch(name):
        return None
    if name.startswith("python"):
        return "python"
    return name


def _rewrite_arg(arg: str, workdir: str, warnings: list[str]) -> str:
    if ":" in arg and arg.startswith("/"):
        return ":".join(_rewrite_arg(part, workdir, warnings) for part in arg.split(":"))
    mapped = _map_path(arg, workdir)
    if mapped is not None:
        return mapped
    if "=" in arg and not arg.startswith("/"):
        key, _, value = arg.partition("=")
        return f"{key}={_rewrite_arg(value, workdir, warnings)}" if value else arg
    if arg.startswith("/") and not arg.startswith(("/tmp/", "/dev/", "/proc/")):
        warnings.append(
            f"The command names {arg}, outside the app's folder; the image has no such file "
            "unless the app creates it. Check the command before approving."
        )
    return arg


def rewrite_command(command: Sequence[str], instance_workdir: str) -> ImageCommand:
    """Rewrite ``command`` for an image whose working directory is ``/app``.

    A path under the instance's working directory becomes the same path under ``/app``
    (``/opt/app/server.js`` → ``/app/server.js``, also after ``--flag=`` and in ``a:b`` class
    paths); an interpreter or tool anywhere on the instance, a virtualenv's included, becomes its
    plain name on the image's PATH (``/opt/app/.venv/bin/gunicorn`` → ``gunicorn``); relative
    paths and everything else stay as they are.
    """
    workdir = _normalise_dir(instance_workdir)
    warnings: list[str] = []
    if workdir in ("", "/", "."):
        warnings.append(
            "The app's working directory on the instance is unknown or '/', so absolute paths "
            "in its command are kept as they are. Check the command before approving."
        )
    argv: list[str] = []
    for index, arg in enumerate(command):
        plain = _executable(arg) if arg.startswith("/") else None
        in_venv = bool(_VENV_BIN.search(arg))
        if plain and (index == 0 or in_venv or _map_path(arg, workdir) is None):
            argv.append(plain)
        elif in_venv:
            argv.append(posixpath.basename(arg))
        else:
            argv.append(_rewrite_arg(arg, workdir, warnings))
    return ImageCommand(argv=argv, warnings=warnings)
