"""From /migrate to a completed cutover (and to a rollback), through the real handlers.

moto in-process stands in for AWS; the bus rules and their consumers are read
from template.yaml; Slack requests are signed; the bot's Web API calls go over
HTTP to the local Slack stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from bot.domain.state import Stage
from sandbox.harness import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with mock_aws(), Sandbox() as box:
        yield box


def migrate_to_healthy(box: Sandbox) -> None:
    assert box.legacy is not None
    response = box.slash(box.legacy.instance_id, user="U0ALICE")
    assert response["statusCode"] == 200
    assert "started" in response["json"]["text"]
    box.settle()
    assert "Approve plan" in box.thread()
    box.click("approve_plan", user="U0BOB")
    box.settle()


def weights(box: Sandbox) -> dict[str, int]:
    assert box.legacy is not None
    records = boto3.client("route53").list_resource_record_sets(
        HostedZoneId=box.legacy.hosted_zone_id
    )["ResourceRecordSets"]
    return {r["SetIdentifier"]: r["Weight"] for r in records if "SetIdentifier" in r}


def test_migrate_to_completed_cutover(sandbox: Sandbox) -> None:
    migrate_to_healthy(sandbox)
    thread = sandbox.thread()
    assert "Healthy, ready for cutover" in thread
    assert "[ Cutover 10% ]" in thread and "[ Rollback ]" in thread
    for weight in (10, 50, 100):
        sandbox.click(f"cutover_{weight}", user="U0BOB")
        sandbox.settle()
        assert weights(sandbox) == {"legacy-ec2": 100 - weight, "ecs-express": weight}
    thread = sandbox.thread()
    assert "Cut over — 100% on ECS" in thread
    assert "Traffic now 0% EC2 · 100% ECS" in thread
    # The legacy stack keeps running.
    assert sandbox.legacy is not None
    state = boto3.client("ec2").describe_instances(InstanceIds=[sandbox.legacy.instance_id])
    assert state["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
    # Nothing was dead-lettered and every event consumer in the template was exercised.
    assert sandbox.runtime is not None and sandbox.runtime.failures == []
    used = {i.function for i in sandbox.runtime.invocations}
    consumers = {name for name, f in sandbox.runtime.functions.items() if f.rules}
    # No alarm breached in this run (the alarm-rollback scenario exercises AlarmsFunction), and
    # the legacy listener's certificate was reused (new-certificate exercises ACM's event).
    # Nobody cleaned up or decommissioned here (the cleanup and decommission-undo scenarios do),
    # and no report was asked for (the report scenario does).
    assert used == consumers - {
        "AlarmsFunction",
        "CertificateEventsFunction",
        "ReportFunction",
        "CleanupFunction",
        "DecommissionFunction",
    }


def records_of(box: Sandbox, name: str) -> list[dict[str, object]]:
    assert box.legacy is not None
    records = boto3.client("route53").list_resource_record_sets(
        HostedZoneId=box.legacy.hosted_zone_id
    )["ResourceRecordSets"]
    return [r for r in records if r["Name"] == name]


def test_rollback_after_half_cutover(sandbox: Sandbox) -> None:
    migrate_to_healthy(sandbox)
    original = records_of(sandbox, "blog.example.com.")
    assert len(original) == 1 and "AliasTarget" in original[0]
    sandbox.click("cutover_10")
    sandbox.settle()
    sandbox.click("cutover_50")
    sandbox.settle()
    assert weights(sandbox) == {"legacy-ec2": 50, "ecs-express": 50}
    sandbox.click("rollback", user="U0CAROL")
    sandbox.settle()
    # A full rollback removes the weighted records and puts the original one back exactly.
    assert weights(sandbox) == {}
    assert records_of(sandbox, "blog.example.com.") == original
    thread = sandbox.thread()
    assert "Rolled back to EC2" in thread
    assert "All traffic is back on EC2" in thread
    assert "[ Cutover" not in thread.split("Rolled back to EC2", 1)[1].split("\n  ", 1)[0]


def test_stale_click_is_refused_and_changes_nothing(sandbox: Sandbox) -> None:
    migrate_to_healthy(sandbox)
    old_card = sandbox.card()
    sandbox.click("cutover_10")
    sandbox.settle()
    before = weights(sandbox)
    # Click a button from the card as it was before the 10 % step.
    stale = next(
        e
        for b in old_card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "cutover_50"
    )
    from sandbox.harness import CHANNEL, SIGNING_SECRET
    from sandbox.slack_client import block_action

    event = block_action(
        "cutover_50",
        stale["value"],
        user_id="U0BOB",
        channel_id=CHANNEL,
        message_ts=old_card["ts"],
        message=old_card,
        response_url=sandbox.slack.new_response_url(CHANNEL, user_id="U0BOB"),
        signing_secret=SIGNING_SECRET,
    )
    sandbox._ingress(event)
    sandbox.settle()
    assert weights(sandbox) == before
    assert "out of date" in sandbox.slack.responses[-1].payload["text"]


def test_bad_input_gets_usage_and_writes_nothing(sandbox: Sandbox) -> None:
    for text in ("i-xyz", "i-0123456789abcdef0", "no-such-app"):
        response = sandbox.slash(text)
        assert response["statusCode"] == 200
        assert ":warning:" in response["json"]["text"]
        assert "Usage" in response["json"]["text"]
    items = boto3.client("dynamodb").scan(TableName="MigrationsTable")["Items"]
    assert items == []
    assert sandbox.settle() == 0  # no event reached any consumer
    with pytest.raises(KeyError):
        sandbox.slack.channel("C0PLATFORM")  # the bot never wrote to the channel


def test_a_step_that_exhausts_its_retries_fails_the_migration_in_its_thread(
    sandbox: Sandbox,
) -> None:
    migrate_to_healthy(sandbox)
    assert sandbox.legacy is not None
    route53 = boto3.client("route53")
    # Someone deletes the zone the cutover needs: Route 53 calls now fail unexpectedly.
    records = route53.list_resource_record_sets(HostedZoneId=sandbox.legacy.hosted_zone_id)
    for record in records["ResourceRecordSets"]:
        if record["Type"] not in ("NS", "SOA"):
            route53.change_resource_record_sets(
                HostedZoneId=sandbox.legacy.hosted_zone_id,
                ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
            )
    route53.delete_hosted_zone(Id=sandbox.legacy.hosted_zone_id)
    sandbox.click("cutover_10")
    sandbox.settle()
    assert sandbox.runtime is not None
    attempts = [i for i in sandbox.runtime.invocations if i.function == "TrafficFunction"]
    assert [i.attempt for i in attempts] == [1, 2, 3] and all(i.error for i in attempts)
    assert [f.function for f in sandbox.runtime.failures] == ["TrafficFunction"]
    thread = sandbox.thread()
    assert "TrafficFunction gave up on CutoverRequested after 3 attempts" in thread
    assert ":red_circle: Failed" in thread and "[ Rollback ]" in thread
    # The failure record was consumed: nothing is left in the on-failure queue.
    queue = boto3.client("sqs").get_queue_url(QueueName="FailedEventsQueue")["QueueUrl"]
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_duplicated_and_reordered_ecs_events_change_nothing(sandbox: Sandbox) -> None:
    migrate_to_healthy(sandbox)
    ecs_events = [e for e in sandbox.service_events if e["source"] == "aws.ecs"]
    assert {e["detail-type"] for e in ecs_events} == {
        "ECS Deployment State Change",
        "ECS Task State Change",
        "ECS Service Action",
    }
    before_card = sandbox.card()
    before_replies = len(sandbox.slack.channel("C0PLATFORM").messages[-1].replies)
    before = sandbox.migration()
    # Every ECS event again, twice, newest first: what at-least-once, unordered delivery allows.
    assert sandbox.runtime is not None
    seen = len(sandbox.runtime.invocations)
    sandbox.redeliver(list(reversed(ecs_events)) * 2)
    sandbox.settle()
    replayed = sandbox.runtime.invocations[seen:]
    assert sum(i.function == "EcsEventsFunction" for i in replayed) == len(ecs_events) * 2
    # The only domain events that follow are ServiceHealthy again (same key, deduplicated).
    assert {(i.function, i.detail_type) for i in replayed if i.function != "EcsEventsFunction"} <= {
        ("NotifierFunction", "ServiceHealthy")
    }
    after = sandbox.migration()
    assert after.stage == before.stage and after.version == before.version
    assert len(sandbox.slack.channel("C0PLATFORM").messages[-1].replies) == before_replies
    assert sandbox.card()["blocks"] == before_card["blocks"]
    assert sandbox.runtime is not None and sandbox.runtime.failures == []


def test_a_second_migration_of_the_same_instance_waits_for_the_first(sandbox: Sandbox) -> None:
    migrate_to_healthy(sandbox)
    first = sandbox.migration()
    answer = sandbox.slash("secure-blog", user="U0DAVE")["json"]["text"]
    assert f"already being migrated by {first.migration_id} (healthy)" in answer
    assert sandbox.migration().migration_id == first.migration_id  # nothing new was written
    sandbox.click("rollback")
    sandbox.settle()
    answer = sandbox.slash("secure-blog", user="U0DAVE")["json"]["text"]
    assert "started" in answer and sandbox.migration().migration_id != first.migration_id
    # The second migration finds the DNS record again (now the bot's own weighted record
    # for EC2) and can cut over.
    sandbox.settle()
    sandbox.click("approve_plan")
    sandbox.settle()
    sandbox.click("cutover_10")
    sandbox.settle()
    second = sandbox.migration()
    assert second.stage == Stage.CUTTING_OVER and second.weight == 10
    assert weights(sandbox) == {"legacy-ec2": 90, "ecs-express": 10}


def test_when_slack_is_down_the_migration_goes_on_and_the_failure_waits_for_a_person(
    sandbox: Sandbox,
) -> None:
    migrate_to_healthy(sandbox)
    sandbox.click("cutover_10")
    sandbox.slack.stop()  # Slack's Web API is unreachable from now on
    sandbox.settle()
    migration = sandbox.migration()
    assert migration.stage == Stage.CUTTING_OVER and migration.weight == 10  # not failed
    assert sandbox.runtime is not None
    assert {f.function for f in sandbox.runtime.failures} == {"NotifierFunction"}
    sqs = boto3.client("sqs")
    unreported = sqs.get_queue_url(QueueName="UnreportedFailuresQueue")["QueueUrl"]
    held = sqs.receive_message(QueueUrl=unreported, MaxNumberOfMessages=10)["Messages"]
    records = [json.loads(m["Body"]) for m in held]
    assert {r["requestPayload"]["detail-type"] for r in records} <= {
        "CutoverRequested",
        "DnsChangeCheckDue",  # the schedule checking the change for INSYNC
        "TrafficShifted",
        "BakeEnded",  # the bake's schedule (time scale 0: when the bus is quiet)
        "StepBaked",
        "DeadlineDue",  # a stage's deadline (time scale 0: when the bus is quiet)
    }
    assert records and all(r["requestContext"]["condition"] == "RetriesExhausted" for r in records)


def test_status_and_list_answer_for_this_channel_only(sandbox: Sandbox) -> None:
    migrate_to_healthy(sandbox)
    mid = sandbox.migration().migration_id
    here = sandbox.slash(f"status {mid}")["json"]
    assert "Healthy, ready for cutover" in json.dumps(here)
    assert all(b["type"] != "actions" for b in here.get("blocks", []))  # buttons stay on the card
    assert mid in sandbox.slash("list")["json"]["text"]
    elsewhere = sandbox.slash(f"status {mid}", channel="C0OTHER")["json"]["text"]
    assert f"no migration {mid} in this channel" in elsewhere
    assert (
        "No migrations in this channel" in sandbox.slash("list", channel="C0OTHER")["json"]["text"]
    )


def dead_letter(detail_type: str, detail: dict[str, object], **attributes: str) -> None:
    """Put what EventBridge puts in a rule's dead-letter queue after its retry policy: the
    event, with the rule, the target and the error as message attributes."""
    event = {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": detail_type,
        "source": "migration-bot",
        "account": "123456789012",
        "time": "2026-11-25T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"schema_version": 1, **detail},
    }
    sqs = boto3.client("sqs")
    sqs.send_message(
        QueueUrl=sqs.get_queue_url(QueueName="RuleDeadLetterQueue")["QueueUrl"],
        MessageBody=json.dumps(event),
        MessageAttributes={
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
        },
    )


def test_an_event_eventbridge_could_not_deliver_fails_its_migration_in_the_thread(
    sandbox: Sandbox,
) -> None:
    migrate_to_healthy(sandbox)
    mid = sandbox.migration().migration_id
    dead_letter(
        "CutoverRequested",
        {
            "migration_id": mid,
            "idempotency_key": f"{mid}:cutover:10",
            "weight": 10,
            "requested_by": "U0BOB",
        },
        ERROR_CODE="NO_PERMISSIONS",
        RULE_ARN="arn:aws:events:us-east-1:123456789012:rule/migration-bot/traffic",
    )
    sandbox.settle()
    failed = sandbox.migration()
    assert failed.stage == Stage.FAILED
    assert "EventBridge could not deliver CutoverRequested" in (failed.failure or "")
    assert "NO_PERMISSIONS" in sandbox.thread()


def test_an_undelivered_notice_to_the_notifier_does_not_fail_the_migration(
    sandbox: Sandbox,
) -> None:
    migrate_to_healthy(sandbox)
    migration = sandbox.migration()
    mid = migration.migration_id
    dead_letter(
        "ServiceHealthy",
        {
            "migration_id": mid,
            "idempotency_key": f"{mid}:healthy",
            "service_arn": migration.service_arn,
        },
        ERROR_CODE="NO_PERMISSIONS",
        TARGET_ARN="arn:aws:lambda:us-east-1:123456789012:function:prod-notifier",
    )
    sandbox.settle()
    assert sandbox.migration().stage == Stage.HEALTHY  # Slack trouble is not a failed migration
    sqs = boto3.client("sqs")
    unreported = sqs.get_queue_url(QueueName="UnreportedFailuresQueue")["QueueUrl"]
    held = sqs.receive_message(QueueUrl=unreported, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["detail-type"] for m in held] == ["ServiceHealthy"]


def _ecs_events_for(service_name: str) -> list[dict[str, object]]:
    """A task event and a deployment event of ``service_name``, as ECS puts them on the bus."""
    from datetime import UTC, datetime

    from sandbox import aws_events

    prefix = "arn:aws:ecs:us-east-1:123456789012"
    service_arn = f"{prefix}:service/default/{service_name}"
    task_arn = f"{prefix}:task/default/0123456789abcdef0123456789abcdef"
    now = datetime.now(UTC)
    task = aws_events.ecs_task_state_change(
        account="123456789012",
        region="us-east-1",
        task_arn=task_arn,
        cluster_arn=f"{prefix}:cluster/default",
        service_name=service_name,
        task_definition_arn=f"{prefix}:task-definition/{service_name}:1",
        last_status="RUNNING",
        desired_status="RUNNING",
        version=3,
        containers=[
            aws_events.ecs_task_container(
                task_arn=task_arn, name=service_name, image="app:1", last_status="RUNNING"
            )
        ],
        started_by="ecs-svc/1",
        created_at=now,
        cpu="256",
        memory="512",
        availability_zone="us-east-1a",
        started_at=now,
    )
    deployment = aws_events.ecs_deployment_state_change(
        account="123456789012",
        region="us-east-1",
        service_arn=service_arn,
        deployment_id="ecs-svc/1",
        event_name="SERVICE_DEPLOYMENT_COMPLETED",
    )
    return [task, deployment]


def test_the_aws_ecs_rule_lets_only_the_bots_services_through(sandbox: Sandbox) -> None:
    assert sandbox.runtime is not None
    # A foreign service's events, on the real default bus with the template's rules: no
    # consumer is invoked at all.
    sandbox.redeliver(_ecs_events_for("orders-api"))
    assert sandbox.settle() == 0
    assert sandbox.runtime.invocations == []
    # The same events for a service the bot names (migrate-bot-...) reach ecs_events.
    sandbox.redeliver(_ecs_events_for("migrate-bot-orders-api-mig-0000beef"))
    assert sandbox.settle() == 2
    reached = [(i.function, i.detail_type, i.error) for i in sandbox.runtime.invocations]
    assert sorted(reached) == [
        ("EcsEventsFunction", "ECS Deployment State Change", None),
        ("EcsEventsFunction", "ECS Task State Change", None),
    ]
