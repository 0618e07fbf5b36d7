"""Go: detection (go.mod, main packages) and its Dockerfile template (static binary, Alpine)."""

from __future__ import annotations

import posixpath
import re
import shlex

from bot.domain.runtimes import images
from bot.domain.runtimes.command import IMAGE_WORKDIR
from bot.domain.runtimes.model import Bundle, Detection
from bot.domain.runtimes.render import APP_UID, Spec, alpine_user, tail, wget_probe

BUILD_LINE = "1.26"  # the toolchain in images.GO_BUILD


def _line(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2])


def detect(bundle: Bundle) -> Detection | None:
    """Detect a Go module from go.mod, or return None."""
    if not bundle.has("go.mod"):
        return None
    gomod = bundle.text("go.mod")
    directive = re.search(r"^go\s+(\d+\.\d+(?:\.\d+)?)", gomod, re.MULTILINE)
    requested = directive.group(1) if directive else None
    packages = sorted(
        "./" + path.rsplit("/", 1)[0]
        for path in bundle.paths
        if path.startswith("cmd/") and path.count("/") == 2 and path.endswith("/main.go")
    )
    if bundle.has("main.go") or not packages:
        packages.insert(0, ".")
    warnings = []
    if requested and _line(requested) > _line(BUILD_LINE):
        warnings.append(
            f"go.mod asks for Go {requested}, newer than the build's {BUILD_LINE}; the go "
            "command fetches that toolchain during the build (GOTOOLCHAIN=auto)."
        )
    return Detection(
        runtime="go",
        version=BUILD_LINE,
        requested=requested,
        tool="go",
        lockfile="go.sum" if bundle.has("go.sum") else None,
        build_script=True,
        packages=packages,
        reasons=[
            "go.mod" + (f" (go {requested})" if requested else ""),
            f"built with Go {BUILD_LINE} (Go's compatibility promise builds older modules)",
            f"main packages: {', '.join(packages)}",
        ],
        warnings=warnings,
    )


def binary(spec: Spec) -> tuple[str, str]:
    """Return where the binary is built in the image and which package it is built from."""
    executable = spec.argv[0] if spec.argv else "app"
    name = posixpath.basename(executable)
    if executable.startswith(IMAGE_WORKDIR + "/"):
        output = executable
    elif executable.startswith("/"):
        output = posixpath.join(IMAGE_WORKDIR, name)
    else:
        output = posixpath.normpath(posixpath.join(IMAGE_WORKDIR, executable))
    packages = spec.detection.packages or ["."]
    named = [package for package in packages if posixpath.basename(package) == name]
    return output, (named or packages)[0]


def template(spec: Spec) -> list[str]:
    """Return the Dockerfile lines for a Go app: built in golang, run on Alpine as non-root."""
    output, package = binary(spec)
    spec = Spec(
        detection=spec.detection,
        port=spec.port,
        health_path=spec.health_path,
        argv=[output, *spec.argv[1:]],
        environment=spec.environment,
    )
    sums = " go.sum" if spec.detection.lockfile else ""
    return [
        f"FROM {images.GO_BUILD} AS build",
        "WORKDIR /app",
        f"COPY go.mod{sums} ./",
        "RUN go mod download",
        "COPY . .",
        f'RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" '
        f"-o {shlex.quote(output)} {shlex.quote(package)}",
        "",
        f"FROM {images.GO_RUNTIME}",
        alpine_user(),
        "WORKDIR /app",
        f"COPY --from=build --chown={APP_UID}:{APP_UID} /app /app",
        *tail(spec, user=f"{APP_UID}:{APP_UID}", probe=wget_probe(spec.health_url)),
    ]
