"""Reading the version an app asks for and choosing the supported release line to build on."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?")
_WIDE = re.compile(r"(\^|~>\s*|~=)\s*\d+\.\d+")  # later minors allowed (composer, gem, pip)


@dataclass(frozen=True)
class Choice:
    """The release line chosen for a request, and a warning when it is not the one asked for."""

    line: str
    warning: str | None = None


@dataclass(frozen=True)
class Wanted:
    """What a version constraint asks for, at the precision of the release lines compared."""

    version: tuple[int, ...] | None
    lower_only: bool = True
    below: tuple[int, ...] | None = None


def _key(line: str) -> tuple[int, ...]:
    return tuple(int(part) for part in line.split("."))


def _number(text: str, minor: bool) -> tuple[int, ...] | None:
    match = _NUMBER.search(text)
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2) or 0)) if minor else (int(match.group(1)),)


def wanted(requested: str | None, *, minor: bool) -> Wanted:
    """Read a constraint: the highest version it names, whether that is a lower bound, the cap.

    ``>=18`` → 18, lower bound; ``20 || 22`` → 22, exact; ``>=3.12,<3.14`` → 3.12 capped below
    3.14; with ``minor``, ``^8.2`` / ``~> 3.2`` / ``~=3.11`` (later minors allowed) are lower
    bounds.
    """
    if not requested:
        return Wanted(None)
    parts = [p.strip() for p in re.split(r",|\|\||\s+(?=[<>=^~])", requested) if p.strip()]
    caps = [p for p in parts if p.startswith("<") and not p.startswith("<=")]
    kept = [p for p in parts if p not in caps]
    numbers = [n for n in (_number(p, minor) for p in kept) if n is not None]
    below = min((n for n in (_number(p, minor) for p in caps) if n is not None), default=None)
    if not numbers:
        return Wanted(None, below=below)
    lower_only = all(p.startswith(">") for p in kept)
    if minor and len(kept) == 1 and _WIDE.fullmatch(kept[0]):
        lower_only = True
    return Wanted(max(numbers), lower_only, below)


def choose(
    requested: str | None,
    supported: list[str],
    *,
    default: str,
    name: str,
    minor: bool = False,
) -> Choice:
    """Choose the supported line for ``requested``: itself if supported, else the nearest one.

    Nothing, or a lower bound the default meets, takes ``default``; a range takes the newest
    supported line inside it; an end-of-life version takes the oldest supported line and a
    version newer than any we have takes the newest, each with a warning a person can act on.
    """
    want = wanted(requested, minor=minor)
    lines = sorted(supported, key=_key)
    inside = [
        line
        for line in lines
        if (want.version is None or _key(line) >= want.version)
        and (want.below is None or _key(line) < want.below)
    ]
    if want.lower_only and (want.version is None or _key(default) >= want.version):
        if want.below is None or _key(default) < want.below:
            return Choice(default)
    if (want.lower_only or want.below) and inside:
        return Choice(inside[-1])
    assert want.version is not None or want.below is not None
    line = ".".join(str(part) for part in want.version or ())
    if line in lines:
        return Choice(line)
    if want.version is None or want.version < _key(lines[0]):
        return Choice(
            lines[0],
            f"The app asks for {name} {requested}, older than any release the bot builds on "
            f"(an end-of-life one, or one without a pinned image); the image uses {name} "
            f"{lines[0]}, the oldest supported release. Test before approving.",
        )
    newer = [candidate for candidate in lines if _key(candidate) > want.version]
    target = newer[0] if newer else lines[-1]
    return Choice(
        target,
        f"The app asks for {name} {requested}; no supported image matches it exactly, so the "
        f"image uses {name} {target}. Test before approving.",
    )
