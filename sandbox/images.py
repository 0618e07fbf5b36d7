"""What the sandbox's CodeBuild builds and its Express tasks will run: an image of the build context.

There is no Docker engine here. ``build`` reads the build's source (the ZIP CodeBuild gets: the
app's bundle, the generated Dockerfile and .dockerignore) and does what ``docker build`` does
that can be done without one:

- every ``FROM`` must name its image with a tag or a digest (the stand-in also refuses
  ``latest``, the project's own rule for a pinned base; Docker would accept it);
- every ``COPY``/``ADD`` source without ``--from`` must be in the build context and not
  excluded by ``.dockerignore`` (Docker reference, "COPY": "the source paths … are interpreted
  as relative to the source of the context"; ``docker build`` fails with "COPY failed: file not
  found in build context or excluded by .dockerignore");
- a program given by path in the final stage's ``CMD``/``ENTRYPOINT`` under the ``WORKDIR`` must
  be in the image (a bare name, such as ``node`` or ``gunicorn``, comes from the base image or a
  ``RUN`` step, which the stand-in cannot run: it needs the base image and the network).

The "image" is then the context's files (without the ignored ones) with the final stage's
``WORKDIR``, ``ENV``, ``USER``, ``EXPOSE``, ``HEALTHCHECK`` and command, kept by image URI in
``IMAGES``. ``RUN`` steps are not run; the sandbox's apps use the standard library only.
"""

from __future__ import annotations

import fnmatch
import io
import json
import posixpath
import shlex
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser


class BuildFailedError(RuntimeError):
    """What ``docker build`` would stop on, in its own words where it has some."""


@dataclass
class Image:
    """A built image: its files and the configuration a container starts with."""

    uri: str
    root: Path  # the image's WORKDIR contents (the build context as copied)
    workdir: str
    environment: dict[str, str]
    user: str | None
    exposed: list[int]
    command: list[str]
    base: str
    healthcheck: str | None = None
    warnings: list[str] = field(default_factory=list)


IMAGES: dict[str, Image] = {}


def _pinned(reference: str) -> bool:
    if "@sha256:" in reference:
        return True
    name = reference.rsplit("/", 1)[-1]
    return ":" in name and not name.endswith(":latest")


def _ignored(patterns: list[str], path: str) -> bool:
    """.dockerignore's rule: the last matching pattern wins; ``!`` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        bare = pattern[1:] if negate else pattern
        bare = posixpath.normpath(bare.lstrip("/"))
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatchcase(prefix, bare) for prefix in prefixes):
            ignored = not negate
    return ignored


def _exec_form(value: str) -> list[str]:
    try:
        parsed = json.loads(value)
    except ValueError:
        return ["/bin/sh", "-c", value]
    return [str(a) for a in parsed] if isinstance(parsed, list) else ["/bin/sh", "-c", value]


def _env_pairs(value: str) -> dict[str, str]:
    words = shlex.split(value)
    if words and "=" not in words[0]:  # the legacy form: ENV NAME value
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words if "=" in word)


def build(uri: str, source_zip: bytes) -> Image:
    """Build ``uri`` from a CodeBuild source ZIP; raise ``BuildFailedError`` with the reason."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source_zip))
    except zipfile.BadZipFile as error:
        raise BuildFailedError(f"CLIENT_ERROR: the source is not a ZIP file ({error})") from error
    names = {posixpath.normpath(n) for n in archive.namelist() if not n.endswith("/")}
    if "Dockerfile" not in names:
        raise BuildFailedError("failed to read dockerfile: open Dockerfile: no such file")
    patterns = (
        [
            line.strip()
            for line in archive.read(".dockerignore").decode().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        if ".dockerignore" in names
        else []
    )
    context = {n for n in names if not _ignored(patterns, n)}
    parser = DockerfileParser(fileobj=io.BytesIO(archive.read("Dockerfile")))
    stages: list[str] = []
    workdir, environment, user = "/", {}, None
    exposed: list[int] = []
    command: list[str] = []
    entrypoint: list[str] = []
    healthcheck: str | None = None
    copied: set[str] = set()
    for instruction in parser.structure:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "FROM":
            words = value.split()
            reference = words[0]
            if reference not in stages[1::2] and not _pinned(reference):
                raise BuildFailedError(
                    f"line {instruction['startline'] + 1}: base image {reference} is not pinned "
                    "to a tag or digest"
                )
            stages += [reference, words[2] if len(words) > 2 and words[1].upper() == "AS" else ""]
            workdir, environment, user, exposed, command, entrypoint = "/", {}, None, [], [], []
            copied = set()
        elif kind in ("COPY", "ADD"):
            words = shlex.split(value)
            flags = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            if any(f.startswith("--from=") for f in flags):
                continue
            for source in paths[:-1]:
                found = _matching(source, context)
                if not found:
                    raise BuildFailedError(
                        f"line {instruction['startline'] + 1}: COPY failed: file not found in "
                        f"build context or excluded by .dockerignore: stat {source}: file does "
                        "not exist"
                    )
                copied |= found
        elif kind == "WORKDIR":
            workdir = posixpath.join(workdir, value)
        elif kind == "ENV":
            environment.update(_env_pairs(value))
        elif kind == "USER":
            user = value
        elif kind == "EXPOSE":
            exposed += [int(p.split("/")[0]) for p in value.split()]
        elif kind == "CMD":
            command = _exec_form(value)
        elif kind == "ENTRYPOINT":
            entrypoint = _exec_form(value)
        elif kind == "HEALTHCHECK":
            healthcheck = value
    argv = entrypoint + command
    if not argv:
        raise BuildFailedError("the final stage has no CMD or ENTRYPOINT")
    program = argv[0]
    if "/" in program:
        relative = posixpath.relpath(posixpath.join(workdir, program), workdir)
        if not relative.startswith("..") and relative not in copied:
            raise BuildFailedError(f"the command's program {program} is not in the image")
    root = Path(tempfile.mkdtemp(prefix="sandbox-image-"))
    for name in sorted(copied):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(name))
        mode = (archive.getinfo(name).external_attr >> 16) & 0o777
        if mode:
            target.chmod(mode)
    image = Image(
        uri=uri,
        root=root,
        workdir=workdir,
        environment=environment,
        user=user,
        exposed=exposed,
        command=argv,
        base=stages[-2],
        healthcheck=healthcheck,
    )
    forget(uri)
    IMAGES[uri] = image
    return image


def _matching(source: str, context: set[str]) -> set[str]:
    normal = posixpath.normpath(source.lstrip("/"))
    if normal == ".":
        return set(context)
    found = {n for n in context if n == normal or n.startswith(normal + "/")}
    found |= {n for n in context if fnmatch.fnmatchcase(n, normal)}
    return found


def forget(uri: str | None = None) -> None:
    """Forget one image (or every one) and remove its files."""
    for key in [uri] if uri else list(IMAGES):
        image = IMAGES.pop(key, None) if key else None
        if image is not None:
            shutil.rmtree(image.root, ignore_errors=True)
