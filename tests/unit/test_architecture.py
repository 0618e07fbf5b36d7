"""Dependencies point inward: the pure core imports no AWS or Slack SDK and reads no environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("boto3", "botocore", "slack_sdk", "slack_bolt", "moto", "aws_lambda_powertools")
PURE = [
    p for layer in ("domain", "services", "events") for p in (ROOT / "bot" / layer).rglob("*.py")
]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_layers_import_no_sdk_and_no_outer_layer(path: Path) -> None:
    found = imports(path)
    for name in found:
        assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"
        assert not name.startswith(("bot.adapters", "bot.bootstrap", "sandbox", "handlers")), name
        if "domain" in path.parts:
            assert not name.startswith(("bot.services", "bot.slack")), name
        if "services" in path.parts:
            assert not name.startswith("bot.slack"), name


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_layers_do_not_read_the_environment(path: Path) -> None:
    source = path.read_text()
    assert "os.environ" not in source and "getenv" not in source


def test_only_config_reads_environment_variables_in_bot() -> None:
    readers = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "bot").rglob("*.py")
        if "os.environ" in p.read_text() or "getenv" in p.read_text()
    ]
    assert readers == ["bot/config.py"]


def test_handlers_are_thin() -> None:
    for path in (ROOT / "handlers").glob("*.py"):
        if path.name == "__init__.py":
            continue
        assert len(path.read_text().splitlines()) <= 40, f"{path.name} holds more than wiring"
        assert not any(n.startswith(("boto3", "slack_sdk")) for n in imports(path)), path.name


def test_the_product_never_imports_the_emulator() -> None:
    """bot/ and handlers/ ship to Lambda; the sandbox package is never among their imports."""
    product = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]
    offenders = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in product
        for name in imports(p)
        if name == "sandbox" or name.startswith(("sandbox.", "moto", "tests", "benchmarks"))
    ]
    assert product and offenders == []


#: What a cold ``/migrate help`` imports (tests/functional/test_bolt_lambda.py runs it).
COLD_PATH = (
    "handlers/slack_ingress.py",
    "bot/bootstrap.py",
    "bot/config.py",
    "bot/observability.py",
    "bot/adapters/bolt_lambda.py",
    "bot/slack/app.py",
    "bot/slack/commands.py",
    "bot/slack/replies.py",
    "bot/slack/installation.py",
)
HEAVY = (
    "boto3",
    "botocore",
    "pydantic",
    "slack_bolt.adapter",
    "bot.domain",
    "bot.events",
    "bot.services",
    "bot.ports",
    "bot.adapters.",  # bolt_lambda is imported lazily by bootstrap, like every adapter
    "bot.slack.blocks",
    "bot.slack.listeners",
)


def module_level_imports(path: Path) -> set[str]:
    """Imports run when the module loads: top level, outside ``if TYPE_CHECKING:``."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("relative", COLD_PATH)
def test_the_cold_help_path_imports_nothing_heavy_at_load(relative: str) -> None:
    found = module_level_imports(ROOT / relative)
    assert found, relative
    assert sorted(n for n in found if n.startswith(HEAVY)) == []
