"""Runtime detection from captured files, version choice, and start-command rewriting."""

from __future__ import annotations

import pytest

from bot.domain.runtimes import Bundle, command_runtime, detect, rewrite_command
from bot.domain.runtimes.versions import choose

NODE = {"package.json": '{"name": "web"}', "package-lock.json": None}
PYTHON = {"requirements.txt": "flask==3.1.0\ngunicorn==23.0.0\n"}


@pytest.mark.parametrize(
    ("files", "runtime", "version", "tool"),
    [
        # Node: version from .nvmrc, engines, codename; tool from the lockfile or packageManager.
        (NODE, "node", "24", "npm"),
        ({**NODE, ".nvmrc": "v22.11.0\n"}, "node", "22", "npm"),
        ({**NODE, ".nvmrc": "lts/jod"}, "node", "22", "npm"),
        ({"package.json": '{"engines": {"node": ">=18"}}', "yarn.lock": ""}, "node", "24", "yarn"),
        (
            {"package.json": '{"engines": {"node": "22.x"}}', "pnpm-lock.yaml": ""},
            "node",
            "22",
            "pnpm",
        ),
        (
            {"package.json": '{"packageManager": "yarn@4.5.0"}', "yarn.lock": ""},
            "node",
            "24",
            "yarn-berry",
        ),
        # Python: requirements, pyproject (PEP 621, poetry, uv), Pipfile; .python-version wins.
        (PYTHON, "python", "3.13", "pip"),
        ({**PYTHON, ".python-version": "3.12.7\n"}, "python", "3.12", "pip"),
        (
            {"pyproject.toml": '[project]\nname = "a"\nrequires-python = ">=3.11,<3.13"\n'},
            "python",
            "3.12",
            "pip",
        ),
        (
            {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n', "poetry.lock": ""},
            "python",
            "3.13",
            "poetry",
        ),
        ({"pyproject.toml": '[project]\nname = "a"\n', "uv.lock": ""}, "python", "3.13", "uv"),
        (
            {"Pipfile": '[requires]\npython_version = "3.14"\n', "Pipfile.lock": "{}"},
            "python",
            "3.14",
            "pipenv",
        ),
        # Java: a built jar, Maven, Gradle; the release from the build file.
        ({"target/orders-1.0.jar": None}, "java", "21", "jar"),
        ({"pom.xml": "<maven.compiler.release>25</maven.compiler.release>"}, "java", "25", "maven"),
        (
            {"build.gradle.kts": "JavaLanguageVersion.of(21)", "gradlew": None},
            "java",
            "21",
            "gradle",
        ),
        # Go, Ruby, PHP, static.
        ({"go.mod": "module example.com/api\n\ngo 1.24\n", "go.sum": ""}, "go", "1.26", "go"),
        (
            {"Gemfile": "source 'https://rubygems.org'\nruby '3.4.1'\n", "Gemfile.lock": ""},
            "ruby",
            "3.4",
            "bundler",
        ),
        ({"Gemfile": "gem 'sinatra'", ".ruby-version": "ruby-3.3.6"}, "ruby", "3.3", "bundler"),
        (
            {"composer.json": '{"require": {"php": "^8.3"}}', "composer.lock": "{}"},
            "php",
            "8.4",
            "composer",
        ),
        ({"index.php": "<?php echo 1;"}, "php", "8.4", None),
        ({"index.html": "<html></html>"}, "static", "1.30", None),
    ],
)
def test_detects_runtime_version_and_tool(
    files: dict[str, str | None], runtime: str, version: str, tool: str | None
) -> None:
    detection = detect(files)
    assert (detection.runtime, detection.version, detection.tool) == (runtime, version, tool)
    assert detection.supported and detection.reasons


@pytest.mark.parametrize(
    ("requested", "line", "warned"),
    [
        ("18", "22", True),  # end of life: the oldest supported LTS, said before approval
        ("lts/iron", "22", True),  # Node 20 ended 2026-04-30
        ("25", "24", True),  # newer than any pinned image
        ("^24.1.0", "24", False),
    ],
)
def test_an_unsupported_node_version_is_moved_to_a_supported_one_with_a_warning(
    requested: str, line: str, warned: bool
) -> None:
    detection = detect({"package.json": "{}", ".nvmrc": requested})
    assert detection.version == line
    assert bool(detection.warnings and "Test before approving" in detection.warnings[0]) is warned


def test_python_3_9_becomes_the_oldest_supported_python_with_a_warning() -> None:
    detection = detect({**PYTHON, "runtime.txt": "python-3.9.18"})
    assert detection.version == "3.11"
    assert any("3.9" in warning for warning in detection.warnings)


def test_package_json_beside_requirements_is_python_unless_the_process_is_node() -> None:
    # A package.json beside a Python manifest usually only builds front-end assets, so the
    # Python manifest wins; the running process, when known, settles it either way.
    both = {**NODE, **PYTHON}
    by_files = detect(both)
    assert by_files.runtime == "python"
    assert any("also found node" in reason for reason in by_files.reasons)
    assert detect(both, ["/usr/bin/node", "/opt/app/server.js"]).runtime == "node"
    assert detect(both, ["/opt/app/.venv/bin/gunicorn", "app:app"]).runtime == "python"


def test_a_built_jar_wins_over_the_build_file_and_maven_over_gradle_without_wrappers() -> None:
    jar_and_pom = detect({"pom.xml": "<project/>", "target/app.jar": None})
    assert jar_and_pom.tool == "jar" and not jar_and_pom.build_script
    assert "no rebuild" in jar_and_pom.reasons[0]
    assert detect({"pom.xml": "", "build.gradle": ""}).tool == "maven"
    gradle_wrapper = detect({"pom.xml": "", "build.gradle": "", "gradlew": None})
    assert (gradle_wrapper.tool, gradle_wrapper.wrapper) == ("gradle", True)
    assert detect({"pom.xml": "", "mvnw": None}).wrapper is True


def test_source_and_javadoc_jars_are_not_taken_for_the_app() -> None:
    detection = detect({"pom.xml": "", "target/app-sources.jar": None})
    assert detection.tool == "maven"


def test_java_8_from_a_pom_runs_on_21_with_a_warning() -> None:
    detection = detect({"pom.xml": "<maven.compiler.source>1.8</maven.compiler.source>"})
    assert (detection.requested, detection.version) == ("1.8", "21")
    assert detection.warnings


def test_a_war_is_unsupported_with_the_way_out() -> None:
    detection = detect({"pom.xml": "<packaging>war</packaging>"})
    assert not detection.supported
    assert detection.unsupported and "--image" in detection.unsupported


def test_nothing_recognisable_is_unsupported_with_a_reason_a_person_can_act_on() -> None:
    detection = detect({"README.md": "hello", "data/report.csv": None})
    assert detection.runtime is None and not detection.supported
    assert detection.unsupported and "--image" in detection.unsupported
    assert "--source" in detection.unsupported


def test_another_language_is_named_in_the_refusal() -> None:
    detection = detect({"Orders.csproj": "<Project/>", "Program.cs": ""})
    assert detection.unsupported and ".NET" in detection.unsupported


def test_go_main_packages_are_listed() -> None:
    detection = detect(
        {"go.mod": "module x\ngo 1.23\n", "cmd/api/main.go": None, "cmd/worker/main.go": None}
    )
    assert detection.packages == ["./cmd/api", "./cmd/worker"]


def test_a_go_module_newer_than_the_build_toolchain_is_warned_about() -> None:
    assert detect({"go.mod": "module x\n\ngo 1.27.1\n"}).warnings


def test_static_site_root_is_the_shallowest_usual_folder() -> None:
    assert detect({"public/index.html": "", "public/app.js": ""}).root == "public"


def test_bundle_accepts_bytes_and_normalises_paths() -> None:
    bundle = Bundle.of({"./package.json": b'{"engines": {"node": "22"}}', "src\\a.js": None})
    assert bundle.paths == {"package.json", "src/a.js"}
    assert detect(bundle).version == "22"


def test_a_malformed_package_json_still_detects_node_with_defaults() -> None:
    detection = detect({"package.json": "{not json", "package-lock.json": None})
    assert (detection.runtime, detection.version) == ("node", "24")


@pytest.mark.parametrize(
    ("command", "runtime"),
    [
        (["/home/ec2-user/.nvm/versions/node/v18.20.4/bin/node", "app.js"], "node"),
        (["/opt/app/.venv/bin/uvicorn", "main:app"], "python"),
        (["/usr/bin/python3.11", "-m", "gunicorn"], "python"),
        (["/usr/lib/jvm/java-17/bin/java", "-jar", "x.jar"], "java"),
        (["bundle", "exec", "puma"], "ruby"),
        (["/opt/app/bin/server"], None),
        ([], None),
    ],
)
def test_the_runtime_a_command_names(command: list[str], runtime: str | None) -> None:
    assert command_runtime(command) == runtime


@pytest.mark.parametrize(
    ("command", "workdir", "expected"),
    [
        (["/usr/bin/node", "/opt/app/server.js"], "/opt/app", ["node", "/app/server.js"]),
        (["node", "server.js"], "/opt/app", ["node", "server.js"]),
        (
            ["gunicorn", "-b", "0.0.0.0:8080", "app:app"],
            "/opt/app",
            ["gunicorn", "-b", "0.0.0.0:8080", "app:app"],
        ),
        (["/opt/app/.venv/bin/gunicorn", "app:app"], "/opt/app/", ["gunicorn", "app:app"]),
        (
            ["/srv/web/venv/bin/python", "-m", "uvicorn", "m:app"],
            "/srv/web",
            ["python", "-m", "uvicorn", "m:app"],
        ),
        (
            ["java", "-jar", "/opt/app/target/app.jar"],
            "/opt/app",
            ["java", "-jar", "/app/target/app.jar"],
        ),
        (
            [
                "java",
                "-Dconf=/opt/app/conf/app.yml",
                "-cp",
                "/opt/app/lib/a.jar:/opt/app/classes",
                "Main",
            ],
            "/opt/app",
            ["java", "-Dconf=/app/conf/app.yml", "-cp", "/app/lib/a.jar:/app/classes", "Main"],
        ),
        (["/opt/app/bin/server", "--port=8080"], "/opt/app", ["/app/bin/server", "--port=8080"]),
        (
            ["/opt/application/x.js"],
            "/opt/app",
            ["/opt/application/x.js"],
        ),  # a prefix, not the folder
    ],
)
def test_start_command_is_rewritten_for_the_image_working_directory(
    command: list[str], workdir: str, expected: list[str]
) -> None:
    assert rewrite_command(command, workdir).argv == expected


def test_a_path_outside_the_app_folder_is_kept_and_warned_about() -> None:
    rewritten = rewrite_command(
        ["node", "/opt/app/a.js", "--config", "/etc/orders.yml"], "/opt/app"
    )
    assert rewritten.argv == ["node", "/app/a.js", "--config", "/etc/orders.yml"]
    assert len(rewritten.warnings) == 1 and "/etc/orders.yml" in rewritten.warnings[0]


def test_an_unknown_working_directory_keeps_paths_and_says_so() -> None:
    rewritten = rewrite_command(["node", "/srv/a.js"], "/")
    assert rewritten.argv == ["node", "/srv/a.js"]
    assert rewritten.warnings


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (None, "3.13"),
        (">=3.10", "3.13"),
        (">=3.12,<3.13", "3.12"),
        ("~=3.12", "3.13"),
        ("3.14.0", "3.14"),
        ("3.15", "3.14"),
    ],
)
def test_choosing_a_python_line(requested: str | None, expected: str) -> None:
    choice = choose(
        requested, ["3.11", "3.12", "3.13", "3.14"], default="3.13", name="Python", minor=True
    )
    assert choice.line == expected


def test_a_process_that_contradicts_the_files_is_warned_about() -> None:
    detection = detect(PYTHON, ["/usr/bin/node", "server.js"])
    assert detection.runtime == "python"
    assert any("node" in warning for warning in detection.warnings)
