"""The plan completed with the app: capture answers, environment, runtimes, build files, card."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from bot.domain import app_plan
from bot.domain.build_files import build_files
from bot.domain.capture import (
    CaptureOutputError,
    parse_environment,
    parse_process,
    read_answer,
    refusal,
)
from bot.domain.migration import Migration, approve
from bot.domain.planning import make_plan
from bot.domain.runtimes import Bundle, UnsupportedRuntimeError
from bot.domain.state import IllegalTransitionError, Stage
from bot.slack.blocks import card_buttons, render_status_card
from tests.fakes import INSTANCE, LOAD_BALANCING, NODE_BUNDLE, capture_answer

BASE = make_plan(INSTANCE, LOAD_BALANCING, None)
PYTHON_BUNDLE = Bundle.of(
    {
        "requirements.txt": "gunicorn==23.0.0\nflask==3.1.0\n",
        ".python-version": "3.12\n",
        "app.py": None,
    }
)


def _process(answer: str) -> object:
    return parse_process(read_answer(answer))


# --- the capture's answer -----------------------------------------------------------------


def test_an_answer_is_read_back_binary_safe() -> None:
    command = ["/opt/orders/.venv/bin/gunicorn", "app:app", "--bind", "0.0.0.0:8080", "a b'\"c"]
    found = parse_process(read_answer(capture_answer(command=command, cwd="/opt/or ders")))
    assert found.command == command
    assert found.working_directory == "/opt/or ders"
    assert (found.pid, found.user, found.systemd_unit) == (2917, "blog", "secure-blog.service")


def test_output_that_is_not_an_answer_is_an_error_not_a_plan() -> None:
    with pytest.raises(CaptureOutputError, match="no migrate-bot capture answer"):
        read_answer("bash: line 1: awk: command not found\n")
    half = "MB1 version=1\nMB1 pid=12\n"
    with pytest.raises(CaptureOutputError, match="stops before the upload"):
        refusal(read_answer(half), port=3000)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("no_listener", ["port 3000", "Start the app"]),
        ("cwd_is_root", ["runs in /", "/usr/bin/node server.js", "proxy"]),
        ("bundle_too_large", ["/opt/secure-blog", "100.0 MiB limit"]),
        ("no_uploader", ["neither curl nor python3"]),
    ],
)
def test_each_refusal_says_why_and_the_way_out(error: str, words: list[str]) -> None:
    refused = refusal(read_answer(capture_answer(error=error)), port=3000)
    assert refused is not None and refused.code == error
    for word in [*words, "--image", "--source"]:
        assert word in refused.reason


def test_environ_is_split_on_nul_and_keeps_equals_in_values() -> None:
    assert parse_environment(b"A=1\0URL=postgres://x?a=b\0junk\0\0") == {
        "A": "1",
        "URL": "postgres://x?a=b",
    }


# --- environment ----------------------------------------------------------------------------


def test_secrets_are_told_by_name_or_by_shape_and_noise_is_dropped() -> None:
    plain, secret = app_plan.split_environment(
        {
            "PATH": "/usr/bin",
            "HOME": "/home/blog",
            "INVOCATION_ID": "abc",
            "XDG_RUNTIME_DIR": "/run/user/1",
            "TABLE_NAME": "secure-blog-posts",
            "ASSETS_BUCKET": "secure-blog-assets",
            "PORT": "3000",
            "DB_PASSWORD": "x",
            "STRIPE_KEY": "anything",
            "DATABASE_URL": "postgres://app:hunter2@db:5432/app",
            "UPSTREAM": "AKIAIOSFODNN7EXAMPLE",
            "OPAQUE": "q8Zr3LmN0pX7vT2wY5bK9cH4dJ6fG1sA",
            "TABLE_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/secure-blog-posts",
        }
    )
    assert sorted(plain) == ["ASSETS_BUCKET", "PORT", "TABLE_ARN", "TABLE_NAME"]
    assert sorted(secret) == ["DATABASE_URL", "DB_PASSWORD", "OPAQUE", "STRIPE_KEY", "UPSTREAM"]


# --- completing the plan ------------------------------------------------------------------


def test_a_captured_node_app_gets_its_runtime_command_environment_and_secrets() -> None:
    process = parse_process(read_answer(capture_answer()))
    plan, secret = app_plan.with_capture(
        BASE,
        process,
        NODE_BUNDLE,
        {"PATH": "/usr/bin", "TABLE_NAME": "posts", "API_TOKEN": "t0k3n"},
        bundle_key="captures/mig-1/source.tgz",
    )
    assert (plan.source, plan.runtime, plan.blocker) == ("capture", "node", None)
    assert plan.start_command == ["node", "server.js"]
    assert plan.environment == {"TABLE_NAME": "posts"}
    assert plan.secret_names == ["API_TOKEN"] and secret == {"API_TOKEN": "t0k3n"}
    assert "t0k3n" not in plan.model_dump_json()  # a secret value never lands in the plan


def test_a_gunicorn_app_in_a_virtualenv_runs_the_same_command_from_the_image() -> None:
    command = ["/opt/orders/.venv/bin/gunicorn", "app:app", "--bind", "0.0.0.0:8080"]
    process = parse_process(read_answer(capture_answer(command=command, cwd="/opt/orders")))
    plan, _ = app_plan.with_capture(BASE, process, PYTHON_BUNDLE, {}, bundle_key="k")
    assert plan.runtime == "python" and plan.detection and plan.detection.version == "3.12"
    assert plan.start_command == ["gunicorn", "app:app", "--bind", "0.0.0.0:8080"]
    dockerfile = build_files(plan)["Dockerfile"]
    assert "python:3.12" in dockerfile and 'CMD ["gunicorn", "app:app"' in dockerfile


def test_a_runtime_the_bot_cannot_containerize_blocks_approval_with_the_way_out() -> None:
    process = parse_process(read_answer(capture_answer(command=["/opt/x/bin/server"])))
    rust = Bundle.of({"Cargo.toml": "[package]\nname = 'x'\n", "src/main.rs": None})
    plan, _ = app_plan.with_capture(BASE, process, rust, {}, bundle_key="k")
    assert plan.blocker is not None and "Rust" in plan.blocker and "--image" in plan.blocker
    with pytest.raises(UnsupportedRuntimeError):
        build_files(plan)


def test_a_root_process_and_a_low_port_are_warned_about() -> None:
    process = parse_process(read_answer(capture_answer(user="root")))
    low = BASE.model_copy(update={"port": 80})
    plan, _ = app_plan.with_capture(low, process, NODE_BUNDLE, {}, bundle_key="k")
    assert any("runs as root" in w for w in plan.warnings)
    assert any("below 1024" in w for w in plan.warnings)


def test_an_uploaded_bundle_takes_its_command_from_the_procfile() -> None:
    bundle = Bundle(
        PYTHON_BUNDLE.paths | {"Procfile"},
        {**PYTHON_BUNDLE.contents, "Procfile": "web: gunicorn app:app\n"},
    )
    plan = app_plan.with_bundle(BASE, bundle, bundle_key="uploads/orders.tgz")
    assert (plan.source, plan.runtime, plan.blocker) == ("bundle", "python", None)
    assert plan.start_command == ["gunicorn", "app:app"]
    assert "gunicorn" in build_files(plan)["Dockerfile"]


def test_an_uploaded_bundle_without_a_command_says_how_to_name_one() -> None:
    plan = app_plan.with_bundle(BASE, PYTHON_BUNDLE, bundle_key="uploads/orders.tgz")
    assert plan.blocker is not None and "Procfile" in plan.blocker


def test_a_given_image_is_deployed_as_it_is_and_nothing_is_built() -> None:
    plan = app_plan.with_image(BASE, "registry.example.com/orders:1.4.2")
    assert (plan.source, plan.image_uri, plan.blocker) == (
        "image",
        "registry.example.com/orders:1.4.2",
        None,
    )
    assert any("must listen on port 3000" in w for w in plan.warnings)
    with pytest.raises(UnsupportedRuntimeError, match="no app bundle"):
        build_files(plan)


# --- approval and the card -------------------------------------------------------------


def _migration(stage: Stage, blocker: str | None = None) -> Migration:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    plan = app_plan.without_capture(BASE, "no agent.") if blocker else BASE
    return Migration(
        migration_id="mig-00000001",
        stage=stage,
        target=BASE.instance_id,
        channel_id="C1",
        requested_by="U1",
        created_at=now,
        updated_at=now,
        plan=plan,
    )


def test_a_blocked_plan_offers_only_cancel_and_refuses_an_approval() -> None:
    blocked = _migration(Stage.PLANNED, blocker="yes")
    assert [b["action_id"] for b in card_buttons(blocked)] == ["cancel_migration"]
    _, blocks = render_status_card(blocked)
    text = str(blocks)
    assert "Cannot be approved" in text and "--image" in text
    with pytest.raises(IllegalTransitionError, match="cannot be approved"):
        approve(blocked, datetime(2026, 12, 3, tzinfo=UTC))


def test_while_the_app_is_captured_the_card_offers_cancel_only() -> None:
    capturing = _migration(Stage.CAPTURING)
    assert [b["action_id"] for b in card_buttons(capturing)] == ["cancel_migration"]
    assert "Capturing the app" in render_status_card(capturing)[0]


def test_the_card_lists_variable_names_never_values() -> None:
    process = parse_process(read_answer(capture_answer()))
    plan, _ = app_plan.with_capture(
        BASE,
        process,
        NODE_BUNDLE,
        {"GREETING": "hello-there", "API_TOKEN": "t0k3n"},
        bundle_key="k",
    )
    migration = _migration(Stage.PLANNED).model_copy(update={"plan": plan})
    text = str(render_status_card(migration)[1])
    assert "GREETING" in text and "API_TOKEN" in text
    assert "hello-there" not in text and "t0k3n" not in text
    assert "Found on the instance:* /usr/bin/node server.js in /opt/secure-blog as blog" in text
    assert base64.b64encode(b"t0k3n").decode() not in text
