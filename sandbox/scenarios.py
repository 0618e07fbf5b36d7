"""Scripted runs of the sandbox: what a person would do in Slack, step by step."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot import bootstrap
from bot.domain.state import Stage
from sandbox import codebuild, express
from sandbox.cli import DEFAULT_TIME_SCALE
from sandbox.harness import CHANNEL, Sandbox
from sandbox.slack_render import BOT_USER_ID


@dataclass
class Outcome:
    """How a scenario ended: its verdict, the stage timings and what it checked."""

    ok: bool
    end_stage: str
    timings: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Stopwatch:
    """Times each named stage of a run."""

    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []

    def stage(self, name: str, step: Callable[[], object]) -> object:
        """Run ``step`` and record how long it took under ``name``."""
        started = time.perf_counter()
        result = step()
        self.timings.append((name, time.perf_counter() - started))
        return result


def _start(box: Sandbox, watch: Stopwatch, app: str | None = None) -> None:
    assert box.legacy is not None
    app = app or box.legacy.name
    box.users(app)  # the app's users, for the whole run
    watch.stage(
        "request → plan",
        lambda: (box.slash(app, user="U0ALICE"), box.wait_for(Stage.PLANNED)),
    )
    watch.stage(
        "approve → build → deploy → healthy or failed",
        lambda: (
            box.click("approve_plan", user="U0BOB"),
            box.wait_for(Stage.HEALTHY, Stage.FAILED),
        ),
    )


def compare_sides(
    box: Sandbox, notes: list[str], paths: tuple[str, ...] = ("/health", "/")
) -> bool:
    """Fetch ``paths`` from both sides as a user would; note and return whether they agree."""
    alike = True
    for path in paths:
        legacy, ecs = box.fetch_both(path)
        same = (legacy.status, legacy.body) == (ecs.status, ecs.body)
        alike &= same
        notes.append(
            f"GET {path}: EC2 {legacy.status} ({len(legacy.body)} bytes), ECS {ecs.status} "
            f"({len(ecs.body)} bytes): {'alike' if same else 'DIFFERENT'}"
        )
    notes.append(f"both sides answered alike: {'yes' if alike else 'no'}")
    return alike


def check_task_access(box: Sandbox, notes: list[str], inline: str, attached: str) -> bool:
    """Read from AWS what the tasks run with: the task role and the security groups.

    The role must be the bot's (under /migrate-bot/, with the stack's boundary, trusted by
    ecs-tasks) and carry the instance role's ``inline`` and ``attached`` policies; the
    groups the instance's and one admitting the VPC on the container port.
    """
    migration = box.migration()
    assert migration.service_arn and migration.plan
    service = box.client("ecs").describe_express_gateway_service(serviceArn=migration.service_arn)[
        "service"
    ]
    config = service["activeConfigurations"][0]
    iam, ec2 = box.client("iam"), box.client("ec2")
    role = iam.get_role(RoleName=config["taskRoleArn"].rsplit("/", 1)[-1])["Role"]
    boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", "none")
    inline_names = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    attached_names = [
        p["PolicyName"]
        for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    ]
    trusted = [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
    notes.append(
        f"task role {role['Path']}{role['RoleName']}: boundary {boundary.rsplit('/', 1)[-1]}, "
        f"trusted by {trusted}, inline {inline_names}, attached {attached_names}"
    )
    groups = config["networkConfiguration"]["securityGroups"]
    own = [g for g in groups if g not in migration.plan.security_group_ids]
    rules = [
        f"{r['IpProtocol']} {r['FromPort']} from {[i['CidrIp'] for i in r['IpRanges']]}"
        for g in ec2.describe_security_groups(GroupIds=own)["SecurityGroups"]
        for r in g["IpPermissions"]
    ]
    notes.append(f"task security groups {groups}: the bot's admits {rules}")
    return (
        role["Path"] == "/migrate-bot/"
        and boundary.endswith("TaskRoleBoundary")
        and trusted == [{"Service": "ecs-tasks.amazonaws.com"}]
        and inline in inline_names
        and attached in attached_names
        and set(migration.plan.security_group_ids) <= set(groups)
        and len(own) == 1
        and rules == [f"tcp {migration.plan.port} from ['10.30.0.0/16']"]
    )


def _cutover(box: Sandbox, watch: Stopwatch, weight: int) -> None:
    """Click Cutover ``weight`` % once the previous step has baked; wait until it is applied,
    then let it bake."""
    target = Stage.CUT_OVER if weight == 100 else Stage.CUTTING_OVER
    watch.stage(
        f"cutover {weight}%",
        lambda: (box.click(f"cutover_{weight}", user="U0BOB"), box.wait_for(target, Stage.FAILED)),
    )
    _bake(box, watch)


def _bake(box: Sandbox, watch: Stopwatch) -> None:
    """Wait until the step now on ECS has baked (its schedule ran), or the bot rolled back."""
    weight = box.migration().weight
    watch.stage(
        f"bake {weight}%",
        lambda: box.wait_until(
            lambda m: m.bake_ends_at is None or m.stage == Stage.ROLLED_BACK,
            f"the {weight}% step's bake",
        ),
    )


def _traffic_ok(
    box: Sandbox, notes: list[str], minimum: int = 0, *, ecs_expected: bool = True
) -> bool:
    """No request failed, at least ``minimum`` were sent, and both sides were sent some (or,
    when no cutover happened, EC2 alone)."""
    assert box.traffic is not None
    summary = box.traffic.summary()
    notes.append(f"users' traffic: {summary.line().removeprefix('requests: ')}")
    return (
        summary.failed == 0
        and summary.sent >= minimum
        and summary.answered("EC2") > 0
        and (summary.answered("ECS") > 0) == ecs_expected
    )


def happy(box: Sandbox) -> Outcome:
    """/migrate the legacy app; Start gradual cutover runs 10 → 50 → 100 %, each step baked
    under the alarms, while its users' requests never fail."""
    watch = Stopwatch()
    _start(box, watch)
    notes: list[str] = []
    alike = box.migration().stage == Stage.HEALTHY and compare_sides(box, notes)
    _gradual_to_100(box, watch)
    end = box.migration()
    ok = alike and end.stage == Stage.CUT_OVER and end.weight == 100
    ok &= _status_answered(box, notes)
    ok &= _traffic_ok(box, notes, minimum=_minimum(box))
    return Outcome(ok, end.stage.value, watch.timings, notes)


def _status_answered(box: Sandbox, notes: list[str]) -> bool:
    """Carol asks ``@migrate-bot status`` in the thread; the bot answers there, once."""
    box.mention("status", user="U0CAROL")
    box.settle()
    replies = box.slack.channel(CHANNEL).message(box.card()["ts"]).replies
    answers = [m for m in replies if m.user == BOT_USER_ID and m.text.startswith("Status of ")]
    if len(answers) != 1:
        notes.append(f"@migrate-bot status in the thread got {len(answers)} answers, not 1")
        return False
    notes.append("@migrate-bot status in the thread: answered there with the card's facts")
    return True


def _gradual_to_100(box: Sandbox, watch: Stopwatch) -> None:
    """Start gradual cutover and wait until 100 % has baked (or the migration stopped)."""
    watch.stage(
        "gradual cutover 10 → 50 → 100 %, each step baked",
        lambda: (
            box.click("gradual_start", user="U0BOB"),
            box.wait_until(
                lambda m: (
                    (m.stage == Stage.CUT_OVER and m.bake_ends_at is None)
                    or m.stage in (Stage.ROLLED_BACK, Stage.FAILED)
                ),
                "the gradual cutover",
                timeout=600,
            ),
        ),
    )


def _minimum(box: Sandbox) -> int:
    """The requests a full run sends at least: 1,000 at the default time scale or slower."""
    return 1000 if box.time_scale >= DEFAULT_TIME_SCALE else 1


def python_app(box: Sandbox) -> Outcome:
    """/migrate orders: a private Python app on Graviton behind a shared internal ALB."""
    watch = Stopwatch()
    _start(box, watch, "orders")
    planned = box.migration()
    plan = planned.plan
    notes: list[str] = []
    ok = plan is not None and plan.runtime == "python" and plan.cpu_architecture == "ARM64"
    ok &= plan is not None and plan.express_scheme == "internal"
    alike = planned.stage == Stage.HEALTHY and compare_sides(box, notes, ("/healthz", "/"))
    ok &= planned.stage == Stage.HEALTHY and check_task_access(box, notes, "data", "team-metrics")
    # This channel's policy asks two distinct approvers for 100 % (set by the policy admin).
    changed = str(box.slash("policy two-approvals on", user="U0CAROL")["json"].get("text"))
    notes.append(f"/migrate policy two-approvals on as U0CAROL → {changed.splitlines()[0]}")
    for weight in (10, 50):
        _cutover(box, watch, weight)
    ok &= _two_approvals(box, watch, notes)
    _bake(box, watch)
    end = box.migration()
    ok = ok and alike and end.stage == Stage.CUT_OVER and end.weight == 100
    ok &= _traffic_ok(box, notes, minimum=_minimum(box))
    return Outcome(ok, end.stage.value, watch.timings, notes)


def _two_approvals(box: Sandbox, watch: Stopwatch, notes: list[str]) -> bool:
    """Cutover 100 % under ``two-approvals on``: the requester is refused, the first
    approver's click is recorded ("1 of 2"), the second, different approver's moves traffic."""
    box.click("cutover_100", user="U0ALICE")
    notes.append(f"U0ALICE (the requester) clicked cutover_100 → {box.clicks[-1].answer}")
    ok = "two-person rule" in (box.clicks[-1].answer or "")
    box.click("cutover_100", user="U0BOB")
    notes.append(f"U0BOB clicked cutover_100 → {box.clicks[-1].answer}")
    box.settle()
    label = box.buttons()["cutover_100"]["text"]["text"]
    notes.append(f"the card now offers [ {label} ] at {box.migration().weight}% ECS")
    ok &= label == "Cutover 100% (1 of 2 approvals)" and box.migration().weight == 50
    watch.stage(
        "cutover 100% (second approval)",
        lambda: (
            box.click("cutover_100", user="U0CAROL"),
            box.wait_for(Stage.CUT_OVER, Stage.FAILED),
        ),
    )
    return ok


def rollback_after_50(box: Sandbox) -> Outcome:
    """Cut over to 50 %, then roll everything back to EC2."""
    watch = Stopwatch()
    _start(box, watch)
    for weight in (10, 50):
        _cutover(box, watch, weight)
    watch.stage(
        "rollback", lambda: (box.click("rollback", user="U0CAROL"), box.wait_for(Stage.ROLLED_BACK))
    )
    end = box.migration()
    return Outcome(
        end.stage == Stage.ROLLED_BACK and end.weight == 0, end.stage.value, watch.timings
    )


def failing_health_check(box: Sandbox) -> Outcome:
    """The new tasks fail their health checks: the deployment fails and Rollback is used."""
    express.set_behaviour(None, "failing-health-check")
    watch = Stopwatch()
    _start(box, watch)
    failed = box.migration()
    notes = [f"failure shown: {failed.failure}"]
    ok = failed.stage == Stage.FAILED and "health check" in (failed.failure or "") + box.thread()
    watch.stage(
        "rollback", lambda: (box.click("rollback", user="U0BOB"), box.wait_for(Stage.ROLLED_BACK))
    )
    end = box.migration()
    return Outcome(ok and end.stage == Stage.ROLLED_BACK, end.stage.value, watch.timings, notes)


#: An image the user built and pushed themselves, for ``--image``.
GIVEN_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/secure-blog:1.4.2"
#: The Dockerfile the user built it with (their own, not the bot's).
GIVEN_DOCKERFILE = """FROM public.ecr.aws/docker/library/node:24.16.0-trixie-slim
WORKDIR /app
COPY package.json server.js ./
ENV NODE_ENV=production PORT=3000
EXPOSE 3000
USER node
CMD ["node", "server.js"]
"""


def no_ssm(box: Sandbox) -> Outcome:
    """An instance SSM does not manage: the plan says why; Cancel, then --image completes."""
    assert box.legacy is not None
    box.users()
    box.stop_ssm_agent()
    box.push_image(GIVEN_IMAGE, "secure-blog", GIVEN_DOCKERFILE)  # built by its team beforehand
    watch = Stopwatch()
    watch.stage(
        "request → blocked plan",
        lambda: (box.slash(box.legacy.name, user="U0ALICE"), box.wait_for(Stage.PLANNED)),
    )
    blocked = box.migration()
    blocker = blocked.plan.blocker if blocked.plan else None
    offered = sorted(box.buttons())
    notes = [f"plan blocked: {blocker}", f"buttons offered: {', '.join(offered)}"]
    ok = bool(blocker) and "AmazonSSMManagedInstanceCore" in (blocker or "")
    ok &= offered == ["cancel_migration"]
    watch.stage(
        "cancel",
        lambda: (box.click("cancel_migration", user="U0ALICE"), box.wait_for(Stage.CANCELLED)),
    )
    watch.stage(
        "request --image → plan",
        lambda: (
            box.slash(f"{box.legacy.name} --image {GIVEN_IMAGE}", user="U0ALICE"),
            box.wait_for(Stage.PLANNED),
        ),
    )
    watch.stage(
        "approve → deploy → healthy or failed",
        lambda: (
            box.click("approve_plan", user="U0BOB"),
            box.wait_for(Stage.HEALTHY, Stage.FAILED),
        ),
    )
    ok &= compare_sides(box, notes)
    for weight in (10, 50, 100):
        _cutover(box, watch, weight)
    end = box.migration()
    notes.append(f"deployed image: {end.image_uri}")
    ok &= end.stage == Stage.CUT_OVER and end.image_uri == GIVEN_IMAGE and end.build_id is None
    return Outcome(ok, end.stage.value, watch.timings, notes)


def bad_start(box: Sandbox) -> Outcome:
    """The start file links out of the app folder: the task exits, the deploy fails, Rollback."""
    box.start_from_release_link()
    watch = Stopwatch()
    _start(box, watch)
    failed = box.migration()
    thread = box.thread()
    offered = sorted(box.buttons())
    notes = [f"failure shown: {failed.failure}", f"buttons offered: {', '.join(offered)}"]
    ok = failed.stage == Stage.FAILED and "Essential container in task exited" in thread
    ok &= offered == ["cleanup", "cleanup_keep_image", "rollback"]  # every user on EC2
    watch.stage(
        "rollback", lambda: (box.click("rollback", user="U0BOB"), box.wait_for(Stage.ROLLED_BACK))
    )
    assert box.legacy is not None
    legacy, _ = box.fetch_both("/")
    notes.append(f"EC2 side after the rollback: GET / {legacy.status}")
    end = box.migration()
    ok &= legacy.status == 200 and end.stage == Stage.ROLLED_BACK
    return Outcome(ok, end.stage.value, watch.timings, notes)


def bad_input(box: Sandbox) -> Outcome:
    """A missing instance and a malformed id: ephemeral errors, nothing written."""
    box.users()  # the app's users go on meanwhile, all on EC2
    notes = []
    ok = True
    for text in ("i-0123456789abcdef0", "i-xyz"):
        answer = box.slash(text)["json"].get("text", "")
        notes.append(f"/migrate {text} → {answer.splitlines()[0] if answer else '(no answer)'}")
        ok &= answer.startswith(":warning:")
    items = box.client("dynamodb").scan(TableName="MigrationsTable")["Items"]
    delivered = box.settle()
    notes.append(f"items written: {len(items)}, events delivered: {delivered}")
    return Outcome(ok and not items and delivered == 0, "nothing started", [], notes)


#: Who tries what in ``unauthorized``, and what the refusal must say.
_INTRUDERS = (
    ("U0ALICE", "approve_plan", "two-person rule"),
    ("U0DAVE", "approve_plan", "not allowed to approve plans here"),
    ("U0GUEST", "approve_plan", "a multi-channel guest"),
    ("U0SINGLE", "cancel_migration", "a single-channel guest"),
    ("U0PARTNER", "approve_plan", "a user of another workspace"),
    ("U0DEPLOYBOT", "approve_plan", "a bot"),
    ("U0GONE", "cancel_migration", "a deactivated account"),
    ("U0NOBODY", "approve_plan", "Slack could not say who you are (user_not_found)"),
)


def unauthorized(box: Sandbox) -> Outcome:
    """Everyone who may not, tries: each is refused, audited, and the migration is untouched."""
    box.users()
    notes: list[str] = []
    ok = True
    for user, team in (("U0GUEST", None), ("U0PARTNER", None), ("U0ALICE", "T0ELSEWHERE")):
        reply = box.slash("secure-blog", user=user, **({"team_id": team} if team else {}))
        answer = str(reply["json"].get("text", "")) if reply.get("json") else ""
        notes.append(
            f"/migrate secure-blog as {user}"
            + (f" signed for {team}" if team else "")
            + f" → HTTP {reply['statusCode']}: {answer.splitlines()[0] if answer else '(no text)'}"
        )
        ok &= (reply["statusCode"] == 401) if team else answer.startswith(":no_entry:")
    watch = Stopwatch()
    watch.stage(
        "request → plan",
        lambda: (box.slash("secure-blog", user="U0ALICE"), box.wait_for(Stage.PLANNED)),
    )
    before = box.migration()
    for user, action, expected in _INTRUDERS:
        box.click(action, user=user)
        answer = box.clicks[-1].answer or ""
        notes.append(f"{user} clicked {action} → {answer}")
        ok &= expected in answer and "Who may:" in answer
    # An approver who is not a policy admin tries to loosen the channel's policy.
    changed = str(box.slash("policy break-glass-rollback on", user="U0BOB")["json"].get("text"))
    notes.append(f"/migrate policy break-glass-rollback on as U0BOB → {changed}")
    ok &= changed.startswith(":no_entry: You may not change this channel's policy")
    # A day and an hour later, the card's buttons have expired: the click is refused and the
    # card is drawn again with fresh buttons.
    drawn = _footer(box)
    box.pass_time(25)
    box.click("approve_plan", user="U0BOB")
    expired = box.clicks[-1].answer or ""
    notes.append(f"25 hours later U0BOB clicked approve_plan → {expired}")
    box.settle()
    redrawn = _footer(box)
    notes.append(f"card footer before: {drawn}; after: {redrawn}")
    ok &= expired.startswith(":hourglass: Not done: these buttons expired") and redrawn != drawn
    after = box.migration()
    trail = bootstrap.core().store.audit_trail(after.migration_id)
    denied = [a for a in trail if a.decision.startswith("denied:")]
    notes.append(f"audit: {len(denied)} denied of {len(trail)} records on {after.migration_id}")
    mid = after.migration_id
    refused = str(box.slash(f"audit {mid}", user="U0DAVE")["json"].get("text", ""))
    notes.append(f"/migrate audit {mid} as U0DAVE → {refused}")
    trail_text = str(box.slash(f"audit {mid}", user="U0BOB")["json"].get("text", ""))
    notes.append(f"/migrate audit {mid} as U0BOB →\n    " + trail_text.replace("\n", "\n    "))
    ok &= refused.startswith(":no_entry: You may not read this audit trail")
    refusals = len(_INTRUDERS) + 1  # and the expired click
    ok &= trail_text.count("denied: ") == refusals + 1  # Dave's audit request too
    untouched = (after.stage, after.version) == (before.stage, before.version)
    notes.append(f"migration untouched: {'yes' if untouched else 'no'} ({after.stage.value})")
    ok &= untouched and len(denied) == refusals
    return Outcome(ok, f"{after.stage.value}, untouched", watch.timings, notes)


def alarm_rollback(box: Sandbox) -> Outcome:
    """During the 50 % step the Express tasks start answering 500: the 5xx alarm breaches and
    the bot puts all traffic back on EC2 at once, saying why; the service keeps running."""
    watch = Stopwatch()
    _start(box, watch)
    notes: list[str] = []
    _cutover(box, watch, 10)
    watch.stage(
        "cutover 50%",
        lambda: (box.click("cutover_50", user="U0BOB"), box.wait_for(Stage.CUTTING_OVER)),
    )
    box.break_express_app()
    notes.append("the Express tasks now answer 500 on every page (their health check passes)")
    end = watch.stage(
        "breach → all traffic on EC2",
        lambda: box.wait_until(
            lambda m: m.stage in (Stage.ROLLED_BACK, Stage.FAILED, Stage.CUT_OVER),
            "the automatic rollback",
        ),
    )
    assert box.traffic is not None
    summary = box.traffic.summary()
    reason = box.migration().rollback_reason or ""
    notes.append(f"rolled back because: {reason}")
    service = box.client("ecs").describe_express_gateway_service(
        serviceArn=box.migration().service_arn
    )["service"]
    notes.append(f"the Express service is {service['status']['statusCode']} for diagnosis")
    failed = summary.failed_on("ECS")
    notes.append(
        f"requests failed on ECS before the rollback: {failed}; on EC2: {summary.failed_on('EC2')}"
    )
    end = box.migration()
    ok = end.stage == Stage.ROLLED_BACK and end.weight == 0 and "5xx" in reason
    ok &= failed > 0 and summary.failed_on("EC2") == 0
    ok &= service["status"]["statusCode"] == "ACTIVE"
    ok &= ":rotating_light:" in box.thread() or "alarm" in box.thread().lower()
    return Outcome(ok, end.stage.value, watch.timings, notes)


def host_rule(box: Sandbox) -> Outcome:
    """Two apps behind one ALB by host rules: migrating orders moves orders.example.com only;
    inventory.example.com's users stay on EC2 throughout."""
    box.users("inventory", rate=10)
    watch = Stopwatch()
    _start(box, watch, "orders")
    notes: list[str] = []
    plan = box.migration().plan
    assert plan is not None
    notes.append(f"the plan moves {plan.record_name} (rule hosts {plan.host_names})")
    ok = plan.record_name == "orders.example.com." and plan.host_names == ["orders.example.com"]
    for weight in (10, 50, 100):
        _cutover(box, watch, weight)
    assert box.traffic is not None
    orders = box.traffic.generators["orders.example.com"].summary()
    inventory = box.traffic.generators["inventory.example.com"].summary()
    notes.append(f"orders.example.com: {orders.line()}")
    notes.append(f"inventory.example.com: {inventory.line()}")
    records = box.client("route53").list_resource_record_sets(
        HostedZoneId=plan.hosted_zone_id or "", StartRecordName="inventory.example.com."
    )["ResourceRecordSets"]
    kept = [r for r in records if r["Name"] == "inventory.example.com."]
    notes.append(f"inventory's records: {[(r['Type'], r.get('SetIdentifier')) for r in kept]}")
    end = box.migration()
    ok &= end.stage == Stage.CUT_OVER and orders.failed == 0 and orders.answered("ECS") > 0
    ok &= inventory.failed == 0 and inventory.answered("ECS") == 0 and inventory.sent > 0
    ok &= len(kept) == 1 and "SetIdentifier" not in kept[0]
    return Outcome(ok, end.stage.value, watch.timings, notes)


def http_site(box: Sandbox) -> Outcome:
    """A legacy site on HTTP:80 only: the plan says cutover will not be offered (Express is
    HTTPS-only); the service is deployed and compared; every user stays on EC2, unharmed."""
    watch = Stopwatch()
    _start(box, watch)
    notes: list[str] = []
    end = box.migration()
    plan = end.plan
    said = [w for w in (plan.warnings if plan else []) if "HTTP only" in w]
    notes.append(f"the plan said: {said[0] if said else '(nothing)'}")
    notes.append(f"the card says: {end.edge_blocker}")
    offered = sorted(box.buttons())
    notes.append(f"buttons offered: {', '.join(offered)}")
    assert box.traffic is not None
    summary = box.traffic.summary()
    ok = end.stage == Stage.HEALTHY and bool(said) and "HTTP only" in (end.edge_blocker or "")
    ok &= not any(b.startswith(("cutover_", "gradual_")) for b in offered)
    ok &= summary.failed == 0 and summary.answered("ECS") == 0 and summary.sent > 0
    return Outcome(ok, f"{end.stage.value}, no cutover offered", watch.timings, notes)


def new_certificate(box: Sandbox) -> Outcome:
    """The legacy HTTPS listener presents an IAM server certificate, which the bot does not
    reuse: it requests a DNS-validated ACM certificate while the image builds, writes the
    validation record in the app's zone, and waits for ACM's event; then the gradual cutover
    runs with no failed request."""
    watch = Stopwatch()
    _start(box, watch)
    notes: list[str] = []
    watch.stage(
        "ACM validates and issues the certificate → the name served on the Express side",
        lambda: box.wait_until(
            lambda m: m.express_alias is not None or bool(m.edge_blocker) or m.terminal,
            "the Express side serving the name",
        ),
    )
    served = box.migration()
    certificate = served.certificate
    record = certificate.validation_record if certificate else None
    notes.append(
        f"certificate: {certificate.origin if certificate else 'none'}, "
        f"{certificate.status if certificate else '-'}"
        + (f", validation record {record.name}" if record else "")
    )
    ok = certificate is not None and certificate.origin == "requested"
    ok &= certificate is not None and certificate.status == "ISSUED"
    ok &= record is not None and _validation_record_in_zone(box, record.name, record.value)
    ingress = served.express_ingress
    if certificate is not None and ingress is not None:
        listed = box.client("elbv2").describe_listener_certificates(
            ListenerArn=ingress.listener_arn
        )["Certificates"]
        on_listener = certificate.arn in {c["CertificateArn"] for c in listed}
        notes.append(f"the requested certificate is on the Express listener: {on_listener}")
        ok &= on_listener
    alike = served.express_alias is not None and compare_sides(box, notes)
    _gradual_to_100(box, watch)
    end = box.migration()
    ok = ok and alike and end.stage == Stage.CUT_OVER and end.weight == 100
    ok &= _traffic_ok(box, notes, minimum=1)
    return Outcome(ok, end.stage.value, watch.timings, notes)


def _validation_record_in_zone(box: Sandbox, name: str, value: str) -> bool:
    assert box.legacy is not None
    listed = box.client("route53").list_resource_record_sets(
        HostedZoneId=box.legacy.hosted_zone_id, StartRecordName=name, StartRecordType="CNAME"
    )["ResourceRecordSets"]
    return any(
        r["Name"] == name and r["Type"] == "CNAME" and r["ResourceRecords"][0]["Value"] == value
        for r in listed
    )


def _legacy_name(box: Sandbox) -> str:
    assert box.legacy is not None
    return box.legacy.name


def _to_plan(box: Sandbox) -> Stopwatch:
    """The legacy app's users start; /migrate it and wait for the plan."""
    watch = Stopwatch()
    box.users()
    watch.stage(
        "request → plan",
        lambda: (box.slash(_legacy_name(box), user="U0ALICE"), box.wait_for(Stage.PLANNED)),
    )
    return watch


def stuck_build(box: Sandbox) -> Outcome:
    """CodeBuild's final event for the build is lost (EventBridge delivers AWS events on a best
    effort basis): at the build's deadline the reconciler asks CodeBuild, finds it SUCCEEDED,
    and the migration goes on to a healthy service, saying so in the thread."""
    codebuild.drop_final_events(True)
    try:
        watch = _to_plan(box)
        watch.stage(
            "approve → build (its final event lost) → deadline → reconciled → healthy",
            lambda: (
                box.click("approve_plan", user="U0BOB"),
                box.wait_until(
                    lambda m: (
                        m.stage in (Stage.HEALTHY, Stage.FAILED)
                        and (m.express_alias is not None or bool(m.edge_blocker) or m.failure)
                    ),
                    "the build reconciled and the service healthy",
                    timeout=300,
                ),
            ),
        )
    finally:
        codebuild.drop_final_events(False)
    end = box.migration()
    thread = box.thread()
    said = [line.strip() for line in thread.splitlines() if "deadline, AWS was asked" in line]
    notes = [f"the thread says: {said[0] if said else '(nothing)'}"]
    ok = end.stage == Stage.HEALTHY and end.express_alias is not None
    ok &= bool(said) and "CodeBuild says it SUCCEEDED" in said[0]
    ok &= _traffic_ok(box, notes, minimum=1, ecs_expected=False)
    return Outcome(ok, f"{end.stage.value}, build reconciled", watch.timings, notes)


def cancel_while_building(box: Sandbox) -> Outcome:
    """Cancel while the image builds: the build is stopped, no service is created, EC2 keeps
    serving, and the instance may be migrated again at once."""
    codebuild.hold_builds(max(box.time_scale, 0.005) * 1800)  # a 30-minute build
    try:
        watch = _to_plan(box)
        watch.stage(
            "approve → building",
            lambda: (
                box.click("approve_plan", user="U0BOB"),
                box.wait_until(
                    lambda m: m.stage == Stage.BUILDING and m.build_id is not None,
                    "the build started",
                    settle=False,
                ),
            ),
        )
        offered = sorted(box.buttons())
        watch.stage(
            "cancel → build stopped",
            lambda: (
                box.click("cancel_migration", user="U0ALICE"),
                box.wait_for(Stage.CANCELLED),
            ),
        )
    finally:
        codebuild.hold_builds(0.0)
    end = box.migration()
    assert end.build_id is not None
    (build,) = box.client("codebuild").batch_get_builds(ids=[end.build_id])["builds"]
    ecs = box.client("ecs")
    clusters = ecs.list_clusters().get("clusterArns", [])
    services = [a for c in clusters for a in ecs.list_services(cluster=c).get("serviceArns", [])]
    mine = [arn for arn in services if end.migration_id in arn]
    again = str(box.slash(_legacy_name(box), user="U0ALICE")["json"].get("text", ""))
    notes = [
        f"buttons while building: {', '.join(offered)}",
        f"the build after the cancel: {build['buildStatus']}",
        f"Express services of the migration: {len(mine)}",
        f"/migrate again → {again.splitlines()[0] if again else '(nothing)'}",
    ]
    ok = offered == ["cancel_migration"] and end.stage == Stage.CANCELLED
    ok &= build["buildStatus"] == "STOPPED" and not mine and "started" in again
    ok &= _traffic_ok(box, notes, minimum=1, ecs_expected=False)
    return Outcome(ok, "cancelled, build stopped", watch.timings, notes)


def cleanup(box: Sandbox) -> Outcome:
    """Cut over to 50 %, roll back, then Clean up (the certificate was requested from ACM):
    the ECS side is gone from AWS, EC2 still serves, no user's request failed, and the
    instance may be migrated again."""
    from sandbox.retirement_scenarios import cleanup_after_rollback

    watch, notes = Stopwatch(), []
    ok, end = cleanup_after_rollback(box, watch, notes)
    ok &= _traffic_ok(box, notes, minimum=1)
    return Outcome(ok, end, watch.timings, notes)


def decommission_undo(box: Sandbox) -> Outcome:
    """100 % on ECS, baked; Decommission (AMI made, out of its target group, stopped), then
    Undo (running, registered, serving); no user's request failed throughout."""
    from sandbox.retirement_scenarios import decommission_and_undo

    watch, notes = Stopwatch(), []
    ok, end = decommission_and_undo(box, watch, notes)
    ok &= _traffic_ok(box, notes, minimum=1)
    return Outcome(ok, end, watch.timings, notes)


#: Scenarios whose account differs from the default one (``Sandbox`` fields).
SANDBOX_OPTIONS: dict[str, dict[str, str]] = {
    "http-site": {"legacy_served_over": "http"},
    "new-certificate": {"legacy_certificate": "iam"},
    "cleanup": {"legacy_certificate": "iam"},
}


def report(box: Sandbox) -> Outcome:
    """At 50 % the health report schedule fires: one report with its chart in the channel;
    the same window fired again posts nothing more; /migrate report posts another."""
    from sandbox.report_scenario import run

    return run(box)


def _footer(box: Sandbox) -> str:
    """The newest card's last context line (its version and its buttons' validity)."""
    contexts = [b for b in box.card().get("blocks", []) if b.get("type") == "context"]
    if not contexts:
        return "(no footer)"
    return " ".join(str(e.get("text", "")) for e in contexts[-1].get("elements", []))


SCENARIOS: dict[str, Callable[[Sandbox], Outcome]] = {
    "happy": happy,
    "python-app": python_app,
    "failing-health-check": failing_health_check,
    "rollback-after-50": rollback_after_50,
    "no-ssm": no_ssm,
    "bad-start": bad_start,
    "bad-input": bad_input,
    "unauthorized": unauthorized,
    "alarm-rollback": alarm_rollback,
    "host-rule": host_rule,
    "http-site": http_site,
    "new-certificate": new_certificate,
    "cleanup": cleanup,
    "decommission-undo": decommission_undo,
    "report": report,
    "stuck-build": stuck_build,
    "cancel-while-building": cancel_while_building,
}

__all__ = ["DEFAULT_TIME_SCALE", "SANDBOX_OPTIONS", "SCENARIOS", "Outcome"]
