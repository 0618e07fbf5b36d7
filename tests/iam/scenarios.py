"""The migrations whose calls the IAM and request-model checks read.

One migration from ``/migrate`` to a completed cutover (10 → 50 → 100 %), one rolled back
after 50 %, through the real handlers in the sandbox (moto in-process), plus the refused
inputs (bad id, unknown instance) and a busy instance named by its load balancer,
which the ingress answers without writing.
"""

from __future__ import annotations

from moto import mock_aws

from sandbox.harness import Sandbox


def _to_healthy(box: Sandbox) -> None:
    assert box.legacy is not None
    started = box.slash(box.legacy.instance_id, user="U0ALICE")
    assert "started" in started["json"]["text"], started
    box.settle()
    box.click("approve_plan", user="U0BOB")
    box.settle()


def run_cutover_and_rollback() -> list[str]:
    """Drive both migrations; return the end each one reached (for the caller to assert)."""
    ends = []
    with mock_aws(), Sandbox() as box:
        for text in ("i-xyz", "no-such-app"):
            box.slash(text)
        _to_healthy(box)
        box.slash("secure-blog-alb")  # by load balancer name: refused, the instance is busy
        for weight in (10, 50, 100):
            box.click(f"cutover_{weight}", user="U0BOB")
            box.settle()
        ends.append(box.migration().stage.value)
    with mock_aws(), Sandbox() as box:
        _to_healthy(box)
        for weight in (10, 50):
            box.click(f"cutover_{weight}", user="U0BOB")
            box.settle()
        box.click("rollback", user="U0CAROL")
        box.settle()
        ends.append(box.migration().stage.value)
    return ends
