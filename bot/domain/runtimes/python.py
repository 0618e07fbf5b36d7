"""Python: detection (requirements.txt, pyproject.toml, Pipfile, .python-version) and template."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from bot.domain.runtimes import images
from bot.domain.runtimes.model import Bundle, Detection
from bot.domain.runtimes.render import APP_UID, Spec, debian_user, tail
from bot.domain.runtimes.versions import choose

_MANIFESTS = ("requirements.txt", "pyproject.toml", "Pipfile", "setup.py", "setup.cfg")
_VENV = "/opt/venv"
_TOOLS = "/opt/tools"


def _toml(bundle: Bundle, path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(bundle.text(path))
    except tomllib.TOMLDecodeError:
        return {}


def _requested(bundle: Bundle) -> tuple[str | None, str | None]:
    version_file = bundle.text(".python-version").strip().splitlines()
    if version_file:
        return version_file[0].strip(), ".python-version"
    runtime_txt = re.search(r"python-(\d+\.\d+(?:\.\d+)?)", bundle.text("runtime.txt"))
    if runtime_txt:
        return runtime_txt.group(1), "runtime.txt"
    pyproject = _toml(bundle, "pyproject.toml")
    requires = pyproject.get("project", {}).get("requires-python")
    if isinstance(requires, str):
        return requires, "pyproject.toml requires-python"
    poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(poetry, str):
        return poetry, "pyproject.toml [tool.poetry] python"
    pipfile = _toml(bundle, "Pipfile").get("requires", {})
    for key in ("python_full_version", "python_version"):
        if isinstance(pipfile.get(key), str):
            return pipfile[key], f"Pipfile {key}"
    return None, None


def _tool(bundle: Bundle) -> tuple[str | None, str | None]:
    pyproject = _toml(bundle, "pyproject.toml")
    if bundle.has("uv.lock"):
        return "uv", "uv.lock"
    if bundle.has("poetry.lock") or "poetry" in pyproject.get("tool", {}):
        return "poetry", "poetry.lock" if bundle.has("poetry.lock") else None
    if bundle.has("Pipfile"):
        return "pipenv", "Pipfile.lock" if bundle.has("Pipfile.lock") else None
    if bundle.has("requirements.txt"):
        return "pip", "requirements.txt"
    if bundle.has("pyproject.toml", "setup.py", "setup.cfg"):
        return "pip", None  # the project itself is installed: `pip install .`
    return None, None


def detect(bundle: Bundle) -> Detection | None:
    """Detect a Python app from its dependency files, or return None."""
    found = [name for name in _MANIFESTS if bundle.has(name)]
    if not found:
        return None
    requested, source = _requested(bundle)
    choice = choose(requested, list(images.PYTHON), default="3.13", name="Python", minor=True)
    tool, lock = _tool(bundle)
    reasons = [
        ", ".join(found),
        f"{source} asks for {requested} → Python {choice.line}"
        if requested
        else f"no Python version pinned → {choice.line}",
        f"dependencies installed with {tool}" + (f" from {lock}" if lock else ""),
    ]
    warnings = [choice.warning] if choice.warning else []
    if tool in ("poetry", "uv", "pipenv") and lock is None:
        warnings.append(f"No lockfile for {tool}: dependencies are resolved afresh at build.")
    return Detection(
        runtime="python",
        version=choice.line,
        requested=requested,
        tool=tool,
        lockfile=lock,
        reasons=reasons,
        warnings=warnings,
    )


def _install(tool: str | None, lock: str | None) -> list[str]:
    """Return the build stage's install steps into the image's own virtualenv (on PATH)."""
    tools = f"RUN python -m venv {_TOOLS} && {_TOOLS}/bin/pip install"
    if tool == "uv":
        return [
            f"{tools} {images.UV}",
            f"RUN UV_PROJECT_ENVIRONMENT={_VENV} {_TOOLS}/bin/uv sync --frozen --no-dev "
            "--no-install-project",
        ]
    if tool == "poetry":
        lock_step = "" if lock else f"{_TOOLS}/bin/poetry lock && "
        return [
            f"{tools} {images.POETRY} poetry-plugin-export==1.10.1",
            f"RUN {lock_step}{_TOOLS}/bin/poetry export --only main -f requirements.txt "
            "-o /tmp/requirements.txt && pip install -r /tmp/requirements.txt",
        ]
    if tool == "pipenv":
        lock_step = "" if lock else f"{_TOOLS}/bin/pipenv lock && "
        return [
            f"{tools} {images.PIPENV}",
            f"RUN {lock_step}{_TOOLS}/bin/pipenv requirements > /tmp/requirements.txt "
            "&& pip install -r /tmp/requirements.txt",
        ]
    if tool == "pip" and lock == "requirements.txt":
        return ["RUN pip install -r requirements.txt"]
    if tool == "pip":
        return ["RUN pip install ."]
    return []


def template(spec: Spec) -> list[str]:
    """Return the Dockerfile lines for a Python app: deps built in one stage, run in another."""
    detection = spec.detection
    image = images.PYTHON[detection.version or "3.13"]
    venv = [f"ENV VIRTUAL_ENV={_VENV} PATH={_VENV}/bin:$PATH"]
    return [
        f"FROM {image} AS build",
        "ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1",
        f"RUN python -m venv {_VENV}",
        *venv,
        "WORKDIR /app",
        "COPY . .",
        *_install(detection.tool, detection.lockfile),
        "",
        f"FROM {image}",
        "ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1",
        *venv,
        debian_user(),
        "WORKDIR /app",
        f"COPY --from=build {_VENV} {_VENV}",
        f"COPY --chown={APP_UID}:{APP_UID} . .",
        *tail(spec, user=f"{APP_UID}:{APP_UID}", probe=probe(spec.health_url)),
    ]


def probe(url: str) -> list[str]:
    """Return a probe using Python's urllib (the slim image has neither curl nor wget)."""
    script = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=4)"
    return ["python", "-c", script, url]
