"""What runtime detection works on (a bundle of captured files) and what it concludes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Runtime = Literal["node", "python", "java", "go", "ruby", "php", "static"]


class UnsupportedRuntimeError(ValueError):
    """The app cannot be containerized by a generated Dockerfile (the message says why)."""


def _normalise(path: str) -> str:
    """Return ``path`` relative to the bundle root, with forward slashes and no ``./``."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


@dataclass(frozen=True)
class Bundle:
    """The captured files: every relative path, and the text of the few that matter."""

    paths: frozenset[str]
    contents: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, files: Mapping[str, str | bytes | None] | Bundle) -> Bundle:
        """Build a bundle from ``{relative path: content}`` (content may be bytes or None)."""
        if isinstance(files, Bundle):
            return files
        contents: dict[str, str] = {}
        for raw, content in files.items():
            path = _normalise(raw)
            if isinstance(content, bytes):
                contents[path] = content.decode("utf-8", errors="replace")
            elif content is not None:
                contents[path] = content
        return cls(paths=frozenset(_normalise(p) for p in files), contents=contents)

    def has(self, *paths: str) -> bool:
        """Say whether any of ``paths`` is in the bundle."""
        return any(p in self.paths for p in paths)

    def text(self, path: str) -> str:
        """Return the text of ``path`` ('' when absent or not captured)."""
        return self.contents.get(path, "")

    def json(self, path: str) -> dict[str, Any]:
        """Return ``path`` parsed as a JSON object ({} when absent or not an object)."""
        try:
            value = json.loads(self.text(path) or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def matching(self, *, suffix: str, under: tuple[str, ...] = ("",)) -> list[str]:
        """Return the sorted paths ending in ``suffix`` directly inside one of ``under``."""
        found = []
        for path in self.paths:
            folder, _, name = path.rpartition("/")
            if name.endswith(suffix) and folder in under:
                found.append(path)
        return sorted(found)


class Detection(BaseModel):
    """The runtime an app needs, as read from its files, or why it cannot be containerized."""

    model_config = ConfigDict(frozen=True)

    runtime: Runtime | None = Field(description="The runtime, or None when unsupported.")
    version: str | None = Field(
        default=None, description="The release line the image uses, e.g. '24', '3.13', '21'."
    )
    requested: str | None = Field(
        default=None, description="The version the app's files ask for, as written."
    )
    tool: str | None = Field(
        default=None,
        description="Package manager or build tool: npm, yarn, pnpm, pip, poetry, uv, pipenv, "
        "maven, gradle, jar, go, bundler, composer; None when there is nothing to install.",
    )
    lockfile: str | None = Field(
        default=None, description="The lockfile the install follows (package-lock.json, ...)."
    )
    wrapper: bool = Field(default=False, description="The build tool's wrapper is in the bundle.")
    build_script: bool = Field(
        default=False, description="The app has a build step (e.g. package.json scripts.build)."
    )
    root: str = Field(
        default=".", description="Folder (relative) that holds the app: a static site's root."
    )
    packages: list[str] = Field(
        default_factory=list, description="Go main packages that can be built (e.g. ./cmd/api)."
    )
    reasons: list[str] = Field(default_factory=list, description="Why this runtime and version.")
    warnings: list[str] = Field(default_factory=list, description="What a person should check.")
    unsupported: str | None = Field(
        default=None, description="Why no Dockerfile can be generated, and the way out."
    )

    @property
    def supported(self) -> bool:
        """Say whether a Dockerfile can be generated for this detection."""
        return self.runtime is not None and self.unsupported is None
