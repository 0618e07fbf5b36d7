"""The migrations whose calls the IAM and request-model checks read.

One migration from ``/migrate`` (the app captured through SSM) to a completed cutover
(10 → 50 → 100 %); on an instance SSM does not manage, a blocked plan cancelled, then one from
an uploaded bundle (``--source``) rolled back after 50 %; the private orders app to a healthy
deployment; all through the real handlers in the
sandbox (moto in-process), plus the refused inputs (bad id, unknown instance) and a busy
instance named by its load balancer, which the ingress answers without writing.
"""

from __future__ import annotations

from moto import mock_aws

from sandbox.harness import Sandbox


def _to_healthy(box: Sandbox, options: str = "", app: str = "secure-blog") -> None:
    started = box.slash(f"{box.apps[app].instance_id} {options}".strip(), user="U0ALICE")
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
        box.slash(f"audit {box.migration().migration_id}", user="U0BOB")  # reads the trail
        box.slash("list")  # the by_channel index
        box.slash(f"audit {box.migration().migration_id} csv", user="U0BOB")
        box.settle()  # the notifier reads the trail for the CSV
        box.slash("policy two-approvals on", user="U0CAROL")  # an admin writes the channel's
        box.slash("policy reset", user="U0CAROL")  # ... and deletes it
    with mock_aws(), Sandbox() as box:
        # An instance SSM does not manage: the plan says why and cannot be approved; the
        # migration is cancelled and requested again with a bundle the user uploaded.
        assert box.legacy is not None
        box.stop_ssm_agent()
        box.slash(box.legacy.instance_id, user="U0ALICE")
        box.settle()
        box.click("cancel_migration", user="U0ALICE")
        box.settle()
        _to_healthy(box, f"--source {box.upload_bundle()}")
        for weight in (10, 50):
            box.click(f"cutover_{weight}", user="U0BOB")
            box.settle()
        box.click("rollback", user="U0CAROL")
        box.settle()
        ends.append(box.migration().stage.value)
    with mock_aws(), Sandbox() as box:
        # The private orders app: its role has a customer managed policy (attached to the
        # task role) and a database group admits it (the plan reads the interfaces in it).
        _to_healthy(box, app="orders")
        ends.append(box.migration().stage.value)
    return ends
