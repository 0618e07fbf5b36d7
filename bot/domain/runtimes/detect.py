"""Detecting an app's runtime from its captured files (and its running command, when known)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.domain.runtimes import go, java, node, php, python, ruby, static
from bot.domain.runtimes.model import Bundle, Detection, Runtime

# When several runtimes' manifests are present and the running command does not settle it:
# a build file or go.mod is never incidental, while a package.json often only builds front-end
# assets for a Python, Ruby or PHP app. So Node comes last among the code runtimes.
PRECEDENCE: tuple[Runtime, ...] = ("java", "go", "python", "ruby", "php", "node")
_DETECTORS: dict[Runtime, Callable[[Bundle], Detection | None]] = {
    "java": java.detect,
    "go": go.detect,
    "python": python.detect,
    "ruby": ruby.detect,
    "php": php.detect,
    "node": node.detect,
}
_COMMANDS: dict[str, Runtime] = {
    **dict.fromkeys(("node", "npm", "npx", "yarn", "pnpm"), "node"),
    **dict.fromkeys(("python", "gunicorn", "uvicorn", "hypercorn", "daphne", "granian"), "python"),
    **dict.fromkeys(("waitress-serve", "flask"), "python"),
    "java": "java",
    **dict.fromkeys(("ruby", "bundle", "puma", "rails", "unicorn", "rackup"), "ruby"),
    **dict.fromkeys(("php", "php-fpm"), "php"),
}
_ELSEWHERE = {
    ".csproj": ".NET",
    ".sln": ".NET",
    "Cargo.toml": "Rust",
    "mix.exs": "Elixir",
    "build.sbt": "Scala (sbt)",
    "Package.swift": "Swift",
}
NOTHING_FOUND = (
    "No package.json, requirements.txt, pyproject.toml, Pipfile, pom.xml, build.gradle, jar, "
    "go.mod, Gemfile, composer.json or index.html among the captured files, so the bot cannot "
    "tell the runtime. Migrate with --image (an image you built) or --source (a bundle that "
    "includes the app's manifest)."
)


def command_runtime(command: Sequence[str]) -> Runtime | None:
    """Return the runtime a start command's executable names (``/x/.venv/bin/gunicorn``: python)."""
    if not command:
        return None
    name = command[0].rsplit("/", 1)[-1]
    if name.startswith("python"):
        return "python"
    if name.startswith("php-fpm"):
        return "php"
    return _COMMANDS.get(name)


def _elsewhere(bundle: Bundle) -> str | None:
    for path in sorted(bundle.paths):
        for marker, language in _ELSEWHERE.items():
            if path == marker or (
                "/" not in path and marker.startswith(".") and path.endswith(marker)
            ):
                return (
                    f"The app looks like {language} ({path}), which is not one of the runtimes "
                    "the bot containerizes (Node, Python, Java, Go, Ruby, PHP, static). Build an "
                    "image yourself and migrate with --image."
                )
    return None


def detect(
    files: Mapping[str, str | bytes | None] | Bundle, command: Sequence[str] = ()
) -> Detection:
    """Detect the runtime from the captured files; the running command breaks ties.

    ``files`` maps each captured path (relative to the app's folder) to its content, or None
    for a file whose content does not matter. The result says which runtime and version, with
    the reasons, or why the app cannot be containerized and what to do instead.
    """
    bundle = Bundle.of(files)
    found = {runtime: d for runtime in PRECEDENCE if (d := _DETECTORS[runtime](bundle))}
    if not found:
        site = static.detect(bundle)
        if site:
            return site
        return Detection(runtime=None, unsupported=_elsewhere(bundle) or NOTHING_FOUND)
    running = command_runtime(command)
    if running in found:
        chosen, why = found[running], f"the running process is {command[0]}"
    else:
        chosen = found[next(r for r in PRECEDENCE if r in found)]
        why = "its manifest takes precedence over " if len(found) > 1 else ""
        why += ", ".join(r for r in found if found[r] is not chosen)
    others = [r for r in found if found[r] is not chosen]
    reasons, warnings = list(chosen.reasons), list(chosen.warnings)
    if others:
        reasons.append(f"also found {', '.join(others)}; chose {chosen.runtime or 'none'}: {why}")
    if running and running not in found:
        warnings.append(
            f"The running process ({command[0]}) looks like {running}, but no {running} files "
            f"were captured; the plan uses {chosen.runtime or 'none'}. Check before approving."
        )
    return chosen.model_copy(update={"reasons": reasons, "warnings": warnings})
