"""The sandbox's data plane: real processes behind load balancers that route as AWS's do."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
from moto import mock_aws

from bot.domain.state import Stage
from sandbox import tasks
from sandbox.acm import sandbox_ca
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


def test_the_legacy_alb_serves_the_app_over_https_and_redirects_http(box: Sandbox) -> None:
    assert box.balancers is not None and box.legacy is not None
    trusted = sandbox_ca().client_context()
    port = box.balancers.port(box.legacy.load_balancer_arn, 443)
    ok = fetch(port, "blog.example.com", "/health", trusted)
    assert (ok.status, ok.body) == (200, b"ok\n")
    # The app's certificate names only its own host.
    with pytest.raises(ssl.SSLCertVerificationError):
        fetch(port, "shop.example.com", "/health", trusted)
    # Plain HTTP is redirected to HTTPS, as the listener's default action says.
    moved = fetch(
        box.balancers.port(box.legacy.load_balancer_arn, 80), "blog.example.com", "/p?x=1"
    )
    assert (moved.status, moved.location) == (301, "https://blog.example.com:443/p?x=1")


def test_the_shared_internal_alb_routes_each_teams_host_over_https(box: Sandbox) -> None:
    assert box.balancers is not None
    orders = box.apps["orders"]
    trusted = sandbox_ca().client_context()
    port = box.balancers.port(orders.load_balancer_arn, 443)
    assert fetch(port, "orders.example.com", "/healthz", trusted).status == 200
    # The other team's app, by its own host rule, on its own instance.
    inventory = fetch(port, "inventory.example.com", "/status", trusted)
    assert (inventory.status, inventory.body) == (200, b'{"app": "inventory"}')
    # One certificate covers both names, and no other.
    with pytest.raises(ssl.SSLCertVerificationError):
        fetch(port, "shop.example.com", "/healthz", trusted)
    moved = fetch(box.balancers.port(orders.load_balancer_arn, 80), "orders.example.com", "/")
    assert (moved.status, moved.location) == (301, "https://orders.example.com:443/")


def test_the_express_balancer_is_https_only_and_routes_by_host(box: Sandbox) -> None:
    assert box.balancers is not None
    migration = box.migration()
    endpoint = (migration.endpoint or "").removeprefix("https://")
    balancer = box.express_load_balancer(migration.service_arn or "")
    port = box.balancers.port(balancer, 443)
    trusted = sandbox_ca().client_context()
    assert fetch(port, endpoint, "/health", trusted).status == 200
    # Another name under its certificate gets the listener's default answer.
    assert fetch(port, "zz-nothing.ecs.us-east-1.on.aws", "/", trusted).status == 404
    # The edge step put the app's own name on the Express listener (its certificate, the
    # service's rule), so it is served there; a name no certificate covers fails TLS.
    served = fetch(port, "blog.example.com", "/", trusted)
    assert served.status == 200 and served.body.startswith(b"<h1>secure-blog</h1>")
    with pytest.raises(ssl.SSLCertVerificationError):
        fetch(port, "shop.example.com", "/", trusted)
    # Plain HTTP to the HTTPS listener is no answer, and Express has no other listener.
    with pytest.raises(OSError):
        fetch(port, endpoint, "/", None, timeout=3)
    with pytest.raises(LookupError):
        box.balancers.port(balancer, 80)


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
