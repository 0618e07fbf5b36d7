"""The sandbox's data plane: real processes behind load balancers that route as AWS's do."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
from moto import mock_aws

from bot.domain.state import Stage
from sandbox import tasks
from sandbox.harness import Sandbox
from sandbox.load_balancers import fetch


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with mock_aws(), Sandbox() as sandbox:
        assert sandbox.legacy is not None
        sandbox.slash(sandbox.legacy.name, user="U0ALICE")
        sandbox.wait_for(Stage.PLANNED)
        sandbox.click("approve_plan", user="U0BOB")
        assert sandbox.wait_for(Stage.HEALTHY, Stage.FAILED).stage == Stage.HEALTHY
        yield sandbox


def test_the_legacy_alb_routes_the_apps_name_and_answers_others_by_default(box: Sandbox) -> None:
    assert box.legacy_alb is not None
    ok = fetch(box.legacy_alb.port, "blog.example.com", "/health")
    assert (ok.status, ok.body) == (200, b"ok\n")
    other = fetch(box.legacy_alb.port, "shop.example.com", "/health")
    assert other.status == 404  # the listener's default fixed-response


def test_the_express_balancer_is_https_only_and_routes_by_host(box: Sandbox) -> None:
    assert box.express_alb is not None and box.certificates is not None
    endpoint = (box.migration().endpoint or "").removeprefix("https://")
    trusted = box.certificates.client_context()
    assert fetch(box.express_alb.port, endpoint, "/health", trusted).status == 200
    # Another name under its certificate gets the listener's default answer.
    assert (
        fetch(box.express_alb.port, "zz-nothing.ecs.us-east-1.on.aws", "/", trusted).status == 404
    )
    # The app's own name is not on the Express certificate (yet): TLS refuses it.
    with pytest.raises(ssl.SSLCertVerificationError):
        fetch(box.express_alb.port, "blog.example.com", "/", trusted)
    # Plain HTTP to the HTTPS listener is no answer.
    with pytest.raises(OSError):
        fetch(box.express_alb.port, endpoint, "/", None, timeout=3)


def test_the_task_runs_from_the_image_with_the_apps_environment_and_secret(box: Sandbox) -> None:
    migration = box.migration()
    task = tasks.RUNNING[migration.service_arn or ""]
    legacy = tasks.RUNNING[f"legacy/{migration.target}"]
    assert task.outcome == "healthy" and task.process is not None
    assert task.environment["TABLE_NAME"] == "secure-blog-posts"
    # The secret travelled through Secrets Manager, not through the plan.
    assert task.environment["SESSION_SECRET"] == legacy.environment["SESSION_SECRET"]
    plan = migration.plan
    assert plan is not None and "SESSION_SECRET" not in plan.environment
    assert box.fetch_both("/posts/hello")[0] == box.fetch_both("/posts/hello")[1]
