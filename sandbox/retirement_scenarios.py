"""The scripted runs of Clean up and Decommission (registered in ``sandbox.scenarios``)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_task_access import security_group_name
from bot.domain.access import role_name
from bot.domain.gates import alarm_names
from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.services.ids import project_name
from sandbox import tasks
from sandbox.harness import Sandbox


def _gone(call: Any) -> bool:
    """Whether a describe call says the resource is gone (a not-found error)."""
    try:
        call()
    except ClientError as error:
        code = error.response["Error"]["Code"]
        return "NotFound" in code or code in ("NoSuchEntity", "InvalidGroup.NotFound")
    return False


def ecs_side_left(box: Sandbox, m: Migration) -> dict[str, bool]:
    """For each thing the migration made on the ECS side: is it gone from the AWS stand-in?"""
    assert m.plan is not None and m.service_arn is not None
    mid = m.migration_id
    service = box.client("ecs").describe_express_gateway_service(serviceArn=m.service_arn)
    elbv2 = box.client("elbv2")
    listeners = [
        listener
        for balancer in elbv2.describe_load_balancers()["LoadBalancers"]
        for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])[
            "Listeners"
        ]
    ]
    added = m.edge_added or {}
    on_listeners = {
        c["CertificateArn"]
        for listener in listeners
        for c in elbv2.describe_listener_certificates(ListenerArn=listener["ListenerArn"])[
            "Certificates"
        ]
    }
    hosts = {
        value
        for listener in listeners
        for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if rule["RuleArn"] == (m.express_ingress.rule_arn if m.express_ingress else "")
        for condition in rule.get("Conditions", [])
        for value in condition.get("HostHeaderConfig", {}).get("Values", [])
    }
    secret = box.client("secretsmanager").describe_secret(SecretId=m.plan.secret_arn or "")
    schedules = box.client("scheduler").list_schedules()["Schedules"]
    iam, ec2 = box.client("iam"), box.client("ec2")
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [security_group_name(mid)]}]
    )["SecurityGroups"]
    found = {
        "Express service": service["service"]["status"]["statusCode"] == "INACTIVE",
        "listener certificate": added.get("certificate_arn") not in on_listeners,
        "rule host": added.get("host") not in hosts,
        "secret": bool(secret.get("DeletedDate")),
        "alarms": not box.client("cloudwatch").describe_alarms(AlarmNames=alarm_names(mid))[
            "MetricAlarms"
        ],
        "schedules": not [s for s in schedules if s["Name"].startswith(mid)],
        "task role": _gone(lambda: iam.get_role(RoleName=role_name(mid))),
        "security group": not groups,
        "ECR repository": _gone(
            lambda: box.client("ecr").describe_repositories(repositoryNames=[f"migrate-bot/{mid}"])
        ),
        "CodeBuild project": not box.client("codebuild").batch_get_projects(
            names=[project_name(mid)]
        )["projects"],
    }
    certificate = m.certificate
    if certificate is not None and certificate.origin == "requested":
        found["requested certificate"] = _gone(
            lambda: box.client("acm").describe_certificate(CertificateArn=certificate.arn)
        )
    return found


def cleanup_after_rollback(box: Sandbox, watch: Any, notes: list[str]) -> tuple[bool, str]:
    """Cut over to 50 %, roll back, Clean up: everything of the ECS side goes, EC2 serves;
    then the same instance is accepted for a new migration. Returns (ok, end stage)."""
    from sandbox.scenarios import _cutover, _start

    _start(box, watch)
    for weight in (10, 50):
        _cutover(box, watch, weight)
    watch.stage(
        "rollback", lambda: (box.click("rollback", user="U0CAROL"), box.wait_for(Stage.ROLLED_BACK))
    )
    offered = sorted(box.buttons())
    notes.append(f"buttons offered after the rollback: {', '.join(offered)}")
    rolled_back = box.migration()
    legacy_cert = rolled_back.certificate
    watch.stage(
        "clean up → cleaned up",
        lambda: (
            box.click("cleanup", user="U0BOB"),
            box.wait_until(
                lambda m: m.stage in (Stage.CLEANED_UP, Stage.FAILED), "the clean up", timeout=180
            ),
        ),
    )
    end = box.migration()
    left = ecs_side_left(box, end)
    notes.append(
        "gone from AWS: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in left.items())
    )
    notes.append(f"the card says: {', '.join((end.cleanup.removed if end.cleanup else [])[:3])} …")
    assert box.legacy is not None and end.plan is not None
    legacy, _ = _legacy_answer(box, end)
    state = _instance_state(box, box.legacy.instance_id)
    notes.append(f"EC2 side after the clean up: instance {state}, GET / {legacy}")
    kept = (
        legacy_cert is None
        or legacy_cert.origin == "requested"
        or not _gone(lambda: box.client("acm").describe_certificate(CertificateArn=legacy_cert.arn))
    )
    ok = end.stage == Stage.CLEANED_UP and all(left.values()) and legacy == 200 and kept
    ok &= state == "running" and offered == ["cleanup", "cleanup_keep_image"]
    again = str(box.slash(box.legacy.name, user="U0ALICE")["json"].get("text", ""))
    notes.append(f"/migrate {box.legacy.name} again → {again.splitlines()[0] if again else ''}")
    ok &= "started" in again
    return ok, end.stage.value


def _legacy_answer(box: Sandbox, m: Migration) -> tuple[int, str]:
    """GET / through the legacy ALB as a user of the app's name."""
    from sandbox.acm import sandbox_ca
    from sandbox.load_balancers import fetch

    assert box.balancers is not None and m.plan is not None and m.plan.listener_arn
    (listener,) = box.client("elbv2").describe_listeners(ListenerArns=[m.plan.listener_arn])[
        "Listeners"
    ]
    answer = fetch(
        box.balancers.port(m.plan.load_balancer_arn or "", listener["Port"]),
        (m.plan.record_name or "").rstrip("."),
        "/",
        sandbox_ca().client_context() if listener["Protocol"] == "HTTPS" else None,
    )
    return answer.status, listener["Protocol"]


def _instance_state(box: Sandbox, instance_id: str) -> str:
    reservations = box.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    return str(reservations[0]["Instances"][0]["State"]["Name"])


def _target(box: Sandbox, m: Migration) -> str:
    assert m.plan is not None and m.plan.target_group_arn
    described = box.client("elbv2").describe_target_health(TargetGroupArn=m.plan.target_group_arn)
    states = [
        d["TargetHealth"]["State"]
        for d in described["TargetHealthDescriptions"]
        if d["Target"]["Id"] == m.plan.instance_id
    ]
    return states[0] if states else "not registered"


def decommission_and_undo(box: Sandbox, watch: Any, notes: list[str]) -> tuple[bool, str]:
    """100 % baked; Decommission (AMI, out of the target group, stopped); Undo (running,
    registered, serving). Returns (ok, end stage)."""
    from sandbox.scenarios import _cutover, _start

    _start(box, watch)
    for weight in (10, 50, 100):
        _cutover(box, watch, weight)
    offered = sorted(box.buttons())
    notes.append(f"buttons offered at 100 %, baked: {', '.join(offered)}")
    box.click("decommission", user="U0ALICE")
    notes.append(f"U0ALICE (the requester) clicked decommission → {box.clicks[-1].answer}")
    ok = "two-person rule" in (box.clicks[-1].answer or "")
    watch.stage(
        "decommission → stopped, imaged",
        lambda: (
            box.click("decommission", user="U0BOB"),
            box.wait_until(
                lambda m: (
                    m.stage == Stage.DECOMMISSIONED
                    or bool(m.decommission and m.decommission.problem)
                ),
                "the decommission",
            ),
        ),
    )
    down = box.migration()
    record = down.decommission
    assert record is not None and box.legacy is not None
    image = (
        box.client("ec2").describe_images(ImageIds=[record.image_id])["Images"]
        if record.image_id
        else []
    )
    state, target = _instance_state(box, record.instance_id), _target(box, down)
    serving = f"legacy/{record.instance_id}" in tasks.RUNNING
    notes.append(
        f"decommissioned: AMI {record.image_id} ({image[0]['State'] if image else 'missing'}), "
        f"instance {state}, target {target}, app serving: {'yes' if serving else 'no'}"
    )
    ok &= down.stage == Stage.DECOMMISSIONED and bool(image) and state == "stopped"
    ok &= target in ("not registered", "unused", "draining") and not serving
    ok &= "decommission_undo" in box.buttons() and "rollback" not in box.buttons()
    watch.stage(
        "undo decommission → running, registered, healthy",
        lambda: (
            box.click("decommission_undo", user="U0BOB"),
            box.wait_until(
                lambda m: (
                    m.stage == Stage.CUT_OVER or bool(m.decommission and m.decommission.problem)
                ),
                "the undo",
            ),
        ),
    )
    up = box.migration()
    state, target = _instance_state(box, record.instance_id), _target(box, up)
    legacy, _ = _legacy_answer(box, up)
    notes.append(f"after the undo: instance {state}, target {target}, GET / on EC2 {legacy}")
    ok &= up.stage == Stage.CUT_OVER and state == "running" and target == "healthy"
    ok &= legacy == 200 and bool(up.decommission and up.decommission.healthy)
    return ok, up.stage.value
