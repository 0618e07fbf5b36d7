"""Slack writes and consumer cost of a burst of 1,000 ECS task events for one migration.

What it runs: the sandbox with moto in-process (the template's rules on moto's real
EventBridge, the local Lambda runtime, the Slack stand-in recording every Web API call).
A migration is taken to healthy as ``/migrate`` and Approve would; then 1,000 ECS Task State
Change events for its service, in AWS's documented shape (``sandbox.aws_events``), are put on
the default bus: 41 tasks that crash loop (eight states each, PROVISIONING to STOPPED, with
two distinct stop reasons, alternating) and one that stays RUNNING, shuffled, and padded to
1,000 with random duplicates. The runtime then delivers them to the real handlers
(``handlers.ecs_events``, and ``handlers.notifier`` for what that publishes) until quiet.

Figures:

- consumer events per second: 1,000 / the ecs_events handler's own time (sum over its
  invocations, moto in-process; the emulator's figure, not AWS's);
- DynamoDB calls per event made by the ecs_events consumer, split into writes (PutItem,
  UpdateItem, DeleteItem, TransactWriteItems) and reads (GetItem, Query). The baseline, in the
  same run, is the same consumer with no warm cache (a fresh cache per event: what every
  event cost before), over a second burst of the same shape with new task ids;
- what the notifier did: invocations, chat.postMessage and chat.update calls, the replies it
  posted, and the task line the card ends with;
- last line: ``slack writes for 1000 task events: N`` = chat.postMessage + chat.update calls
  made while the burst was delivered (goal: N <= 15; before task events folded into the card,
  each RUNNING and STOPPED task state posted its own reply, about 150 for such a burst).

The card edits coalesce because the notifier (reserved concurrency 1) reads the task summary
from the store when it runs, not from the event: here, as on AWS when ECS events arrive
faster than the notifier works, the burst is stored before the notifier catches up, and
every queued notice after the first edit finds the card current. Events that trickle in
slower than the notifier works cost one edit per change of the running count or last stop.

Run from the repository root: ``.venv/bin/python benchmarks/ecs_event_burst.py [--seed 7]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # before any bot module builds the Logger
for _name, _value in (
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
):
    os.environ.setdefault(_name, _value)

EVENTS = 1000
CRASHING_TASKS = 41
REASONS = (
    ("EssentialContainerExited", "Essential container in task exited"),
    ("ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group {tg})"),
)
STATES = (
    "PROVISIONING",
    "PENDING",
    "ACTIVATING",
    "RUNNING",
    "DEACTIVATING",
    "STOPPING",
    "DEPROVISIONING",
    "STOPPED",
)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def task_events(service_arn: str, tag: str, seed: int) -> tuple[list[dict[str, Any]], int]:
    """The burst: every state of each task once, then random duplicates up to ``EVENTS``."""
    from sandbox import aws_events

    prefix, _, rest = service_arn.partition(":service/")
    cluster, name = rest.split("/", 1)
    account, region = prefix.split(":")[4], prefix.split(":")[3]
    start = datetime.now(UTC)
    distinct: list[dict[str, Any]] = []
    for n in range(CRASHING_TASKS + 1):
        task_arn = f"{prefix}:task/{cluster}/{tag}{n:024x}"
        crashing = n < CRASHING_TASKS
        code, reason = REASONS[n % 2]
        reason = reason.format(tg=f"{prefix.replace(':ecs:', ':elasticloadbalancing:')}:tg/x")
        states = STATES if crashing else STATES[:4]
        for version, status in enumerate(states, start=1):
            at = start + timedelta(seconds=10 * n + version)
            stopped = status == "STOPPED"
            distinct.append(
                aws_events.ecs_task_state_change(
                    account=account,
                    region=region,
                    task_arn=task_arn,
                    cluster_arn=f"{prefix}:cluster/{cluster}",
                    service_name=name,
                    task_definition_arn=f"{prefix}:task-definition/{name}:1",
                    last_status=status,
                    desired_status="STOPPED" if version > 4 else "RUNNING",
                    version=version,
                    containers=[
                        aws_events.ecs_task_container(
                            task_arn=task_arn,
                            name=name,
                            image="app:1",
                            last_status="PENDING" if status == "PROVISIONING" else status,
                            exit_code=1 if stopped else None,
                        )
                    ],
                    started_by="ecs-svc/1",
                    created_at=start + timedelta(seconds=10 * n),
                    cpu="256",
                    memory="512",
                    availability_zone=f"{region}a",
                    started_at=at if version >= 4 else None,
                    stopped_at=at if stopped else None,
                    stop_code=code if stopped else None,
                    stopped_reason=reason if stopped else None,
                    at=at,
                )
            )
    rng = random.Random(seed)
    burst = distinct + [rng.choice(distinct) for _ in range(EVENTS - len(distinct))]
    rng.shuffle(burst)
    return burst, len(distinct)


class DynamoCounter:
    """Counts DynamoDB API calls per operation while a chosen function runs."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.consumer_label = "burst"  # what the ecs_events consumer's calls count as
        self.calls: dict[str, Counter[str]] = {}

    def hook(self, model: Any, **_: Any) -> None:
        """botocore's before-call event: one API call about to be sent."""
        if self.current is not None:
            self.calls.setdefault(self.current, Counter())[model.name] += 1

    def wrap(self, module: Any, label: str | None = None) -> None:
        """Attribute calls made inside ``module.handler`` to ``label`` (or the consumer's)."""
        original = module.handler

        def counted(event: dict[str, Any], context: Any) -> Any:
            self.current = label or self.consumer_label
            try:
                return original(event, context)
            finally:
                self.current = None

        module.handler = counted


def deliver(box: Any, burst: list[dict[str, Any]]) -> dict[str, Any]:
    """Put the burst on the default bus, deliver it, and return what it cost."""
    assert box.runtime is not None
    calls, invocations = len(box.slack.calls), len(box.runtime.invocations)
    box.redeliver(burst)
    box.settle()
    made = box.runtime.invocations[invocations:]
    consumer = [i for i in made if i.function == "EcsEventsFunction"]
    notifier = [i for i in made if i.function == "NotifierFunction"]
    slack = Counter(c.method for c in box.slack.calls[calls:])
    errors = [i.error for i in made if i.error] + [f.function for f in box.runtime.failures]
    if errors or len(consumer) != len(burst):
        raise RuntimeError(f"the burst was not delivered cleanly: {errors[:3]}")
    return {
        "consumer_seconds": sum(i.seconds for i in consumer),
        "notifier_calls": len(notifier),
        "posts": slack["chat.postMessage"],
        "updates": slack["chat.update"],
    }


def per_event(counts: Counter[str]) -> tuple[float, float]:
    """(writes, reads) per event of the burst."""
    writes = sum(n for op, n in counts.items() if op in WRITES)
    return writes / EVENTS, (sum(counts.values()) - writes) / EVENTS


def main(argv: list[str] | None = None) -> int:
    """Run the burst (and the no-cache baseline) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="shuffle and duplicate choice")
    args = parser.parse_args(argv)

    import logging

    from moto import mock_aws

    from bot import bootstrap
    from bot.services import ecs_events as ecs_service
    from handlers import ecs_events, notifier
    from sandbox.harness import Sandbox

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    counter = DynamoCounter()
    counter.wrap(ecs_events)
    counter.wrap(notifier, "notifier")
    started = time.perf_counter()
    with mock_aws(), Sandbox() as box:
        assert box.legacy is not None
        box.slash(box.legacy.instance_id, user="U0ALICE")
        box.settle()
        box.click("approve_plan", user="U0BOB")
        box.settle()
        migration = box.migration()
        if migration.service_arn is None or migration.stage.value != "healthy":
            raise RuntimeError(f"the migration did not get healthy: {migration.stage.value}")
        bootstrap.client("dynamodb").meta.events.register("before-call.dynamodb", counter.hook)
        replies_before = len(box.slack.channel("C0PLATFORM").messages[-1].replies)

        burst, distinct = task_events(migration.service_arn, "a", args.seed)
        result = deliver(box, burst)
        thread = box.slack.channel("C0PLATFORM").messages[-1]
        replies = [r.as_slack().get("text", "") for r in thread.replies[replies_before:]]
        # The deployment's own task (the stand-in's) runs too: 1 + the burst's survivor.
        card = str(box.card()["blocks"])
        if "2 of 1 running" not in card:
            raise RuntimeError(f"the card does not show the burst's end state: {card}")

        # Baseline, same run: the same consumer without a warm cache (cold for every event).
        def cold(core: bootstrap.Core) -> ecs_service.WarmCache:
            return ecs_service.WarmCache()

        warm = ecs_events.warm_cache
        ecs_events.warm_cache = cold  # type: ignore[assignment]
        counter.consumer_label = "baseline"
        baseline_burst, _ = task_events(migration.service_arn, "b", args.seed + 1)
        baseline = deliver(box, baseline_burst)
        ecs_events.warm_cache = warm

    writes, reads = per_event(counter.calls.get("burst", Counter()))
    base_writes, base_reads = per_event(counter.calls.get("baseline", Counter()))
    slack_writes = result["posts"] + result["updates"]
    print(
        f"ecs event burst: {EVENTS} task events ({distinct} distinct states of "
        f"{CRASHING_TASKS + 1} tasks, {EVENTS - distinct} duplicates, shuffled, seed "
        f"{args.seed}); moto in-process, Python {sys.version.split()[0]}; "
        f"run took {time.perf_counter() - started:.1f} s"
    )
    print(
        f"dynamodb calls per event (ecs_events): warm cache {writes:.3f} writes + "
        f"{reads:.3f} reads; baseline without cache {base_writes:.3f} writes + "
        f"{base_reads:.3f} reads"
    )
    print(
        f"notifier: {result['notifier_calls']} invocations, {result['posts']} chat.postMessage, "
        f"{result['updates']} chat.update (baseline burst: {baseline['notifier_calls']} "
        f"invocations, {baseline['posts'] + baseline['updates']} Slack writes)"
    )
    for reply in replies:
        print(f"  reply: {reply.splitlines()[0][:110]}")
    print(
        f"consumer events per second (ecs_events handler time, warm cache): "
        f"{EVENTS / result['consumer_seconds']:.0f} "
        f"(baseline without cache: {EVENTS / baseline['consumer_seconds']:.0f})"
    )
    print(f"slack writes for {EVENTS} task events: {slack_writes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
