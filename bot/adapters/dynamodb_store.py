"""DynamoDB implementation of the ``Store`` port.

One table holds, per migration (``pk = MIGRATION#<id>``): the state item
(``sk = STATE``: the record as JSON, ``version`` for optimistic locking, and the
keys of the ``by_service`` and ``by_channel`` indexes), append-only audit items
(``AUDIT#<time>#<n>``), one item per ECS task and deployment, and one per reply posted in
the migration's thread (``REPLY#<ts>``: the event it told). A channel's own policy is
one item (``pk = CHANNEL#<id>``, ``sk = POLICY``: the document and a ``version``). Idempotency
claims live in their own table with a TTL.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.domain.deployments import TERMINAL
from bot.domain.migration import Migration
from bot.events.models import DomainEvent, UnknownEventError, parse_detail
from bot.ports import (
    AuditRecord,
    InstanceBusyError,
    MigrationNotFoundError,
    StaleVersionError,
    StoredPolicy,
    TaskRecord,
)

STATE = "STATE"
TASK = "TASK#"
REPLY = "REPLY#"
CLAIM_TTL_SECONDS = 7 * 24 * 3600


def _pk(migration_id: str) -> str:
    return f"MIGRATION#{migration_id}"


def _lock_pk(instance_id: str) -> str:
    return f"INSTANCE#{instance_id}"


def _conditional_failed(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _policy_key(channel_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CHANNEL#{channel_id}"}, "sk": {"S": "POLICY"}}


class DynamoStore:
    """Migrations, audit trail, ECS progress and idempotency claims in DynamoDB."""

    def __init__(self, client: Any, table: str, idempotency_table: str) -> None:
        self._db = client
        self._table = table
        self._claims = idempotency_table

    def create(
        self,
        migration: Migration,
        replaces: str | None = None,
        audit: AuditRecord | None = None,
    ) -> Migration:
        """Store a new migration at version 1, take its instance's lock and append ``audit``,
        in one transaction (one call)."""
        stored = migration.model_copy(update={"version": 1})
        lock_condition = "attribute_not_exists(pk)"
        values: dict[str, Any] = {}
        if replaces is not None:
            lock_condition += " OR migration_id = :previous"
            values[":previous"] = {"S": replaces}
        lock: dict[str, Any] = {
            "TableName": self._table,
            "Item": {
                "pk": {"S": _lock_pk(migration.target)},
                "sk": {"S": "LOCK"},
                "migration_id": {"S": migration.migration_id},
            },
            "ConditionExpression": lock_condition,
        }
        if values:
            lock["ExpressionAttributeValues"] = values
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": self._state_item(stored),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": lock},
                    *([{"Put": self._audit_put(audit)}] if audit is not None else []),
                ]
            )
        except ClientError as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons[1:2] == ["ConditionalCheckFailed"] and reasons[:1] != [
                "ConditionalCheckFailed"
            ]:
                raise InstanceBusyError(
                    f"another migration of {migration.target} started just now"
                ) from error
            raise
        return stored

    def lock_holder(self, instance_id: str) -> str | None:
        """The migration holding the instance's lock, if any."""
        response = self._db.get_item(
            TableName=self._table,
            Key={"pk": {"S": _lock_pk(instance_id)}, "sk": {"S": "LOCK"}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return item["migration_id"]["S"] if item else None

    def get(self, migration_id: str) -> Migration:
        """Read a migration (strongly consistent)."""
        response = self._db.get_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(migration_id)}, "sk": {"S": STATE}},
            ConsistentRead=True,
        )
        if "Item" not in response:
            raise MigrationNotFoundError(f"no migration {migration_id}")
        return self._from_item(response["Item"])

    def save(self, migration: Migration) -> Migration:
        """Write the migration if the stored version equals its version; bump the version."""
        saved = migration.model_copy(update={"version": migration.version + 1})
        self._write(saved, expected=migration.version)
        return saved

    def restore(self, previous: Migration, expected_version: int) -> None:
        """Undo an unpublished change: put ``previous`` back if nothing changed since.

        The card's rendered version is forgotten too: a card drawn from the undone
        change must not pass for the next change that reuses its version number.
        """
        self._write(previous, expected=expected_version, forget_card=True)

    def _write(self, saved: Migration, expected: int, forget_card: bool = False) -> None:
        names = {"#d": "data", "#v": "version", "#s": "stage"}
        values: dict[str, Any] = {
            ":d": {"S": self._data(saved)},
            ":v": {"N": str(saved.version)},
            ":expected": {"N": str(expected)},
            ":s": {"S": saved.stage.value},
        }
        expression = "SET #d = :d, #v = :v, #s = :s"
        if saved.service_arn:
            expression += ", service_arn = :arn"
            values[":arn"] = {"S": saved.service_arn}
        if forget_card:
            expression += " REMOVE card_version, card_tasks"
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": _pk(saved.migration_id)}, "sk": {"S": STATE}},
                UpdateExpression=expression,
                ConditionExpression="#v = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failed(error):
                raise StaleVersionError(
                    f"{saved.migration_id} is no longer at version {expected}"
                ) from error
            raise

    def set_slack_ts(self, migration_id: str, ts: str) -> bool:
        """Record the status card's ts once, without bumping the version."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": _pk(migration_id)}, "sk": {"S": STATE}},
                UpdateExpression="SET slack_ts = :ts",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(slack_ts)",
                ExpressionAttributeValues={":ts": {"S": ts}},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def record_reply(self, migration_id: str, ts: str, event: DomainEvent) -> None:
        """One item per reply, keyed by its Slack ts (a second write of it is the same)."""
        self._db.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": _pk(migration_id)},
                "sk": {"S": f"{REPLY}{ts}"},
                "detail_type": {"S": event.detail_type},
                "detail": {"S": event.model_dump_json()},
            },
        )

    def last_replies(self, migration_id: str, limit: int) -> list[tuple[str, DomainEvent]]:
        """The newest ``limit`` replies, oldest first. Slack ts strings (``<epoch>.<micro>``,
        ten-digit seconds) sort as times. A reply of an event this version no longer knows is
        left out."""
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :r)",
            ExpressionAttributeValues={":pk": {"S": _pk(migration_id)}, ":r": {"S": REPLY}},
            ScanIndexForward=False,
            Limit=limit,
        )
        found = []
        for item in reversed(response.get("Items", [])):
            try:
                event = parse_detail(item["detail_type"]["S"], json.loads(item["detail"]["S"]))
            except (UnknownEventError, ValueError):
                continue
            found.append((item["sk"]["S"].removeprefix(REPLY), event))
        return found

    def mark_card(self, migration_id: str, version: int, tasks_key: str | None = None) -> None:
        """Record the version (and task summary) the card shows, unless a newer one is recorded."""
        expression = "SET card_version = :v"
        values: dict[str, Any] = {":v": {"N": str(version)}}
        if tasks_key is not None:
            expression += ", card_tasks = :t"
            values[":t"] = {"S": tasks_key}
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": _pk(migration_id)}, "sk": {"S": STATE}},
                UpdateExpression=expression,
                ConditionExpression=(
                    "attribute_exists(pk) AND "
                    "(attribute_not_exists(card_version) OR card_version <= :v)"
                ),
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise

    def channel_policy(self, channel_id: str) -> StoredPolicy | None:
        """The channel's policy item (strongly consistent: a change counts at once)."""
        item = self._db.get_item(
            TableName=self._table, Key=_policy_key(channel_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return StoredPolicy(document=item["document"]["S"], version=int(item["version"]["N"]))

    def put_channel_policy(self, channel_id: str, document: str, expected_version: int) -> int:
        """Write the document if the stored version is ``expected_version`` (0: no item)."""
        version = expected_version + 1
        condition = "attribute_not_exists(pk)" if expected_version == 0 else "#v = :expected"
        values: dict[str, Any] = {":d": {"S": document}, ":v": {"N": str(version)}}
        if expected_version:
            values[":expected"] = {"N": str(expected_version)}
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_policy_key(channel_id),
                UpdateExpression="SET document = :d, #v = :v",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failed(error):
                raise StaleVersionError(f"the policy of {channel_id} changed meanwhile") from error
            raise
        return version

    def delete_channel_policy(self, channel_id: str, expected_version: int) -> None:
        """Delete the policy item if it is still at ``expected_version``."""
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=_policy_key(channel_id),
                ConditionExpression="#v = :expected",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
            )
        except ClientError as error:
            if _conditional_failed(error):
                raise StaleVersionError(f"the policy of {channel_id} changed meanwhile") from error
            raise

    def find_by_service_arn(self, service_arn: str) -> Migration | None:
        """The migration whose Express service has this ARN (``by_service`` index)."""
        response = self._db.query(
            TableName=self._table,
            IndexName="by_service",
            KeyConditionExpression="service_arn = :arn",
            ExpressionAttributeValues={":arn": {"S": service_arn}},
        )
        items = response.get("Items", [])
        return self.get(self._from_item(items[0]).migration_id) if items else None

    def list_by_channel(self, channel_id: str) -> list[Migration]:
        """A channel's migrations (``by_channel`` index), newest first."""
        response = self._db.query(
            TableName=self._table,
            IndexName="by_channel",
            KeyConditionExpression="channel_id = :c",
            ExpressionAttributeValues={":c": {"S": channel_id}},
            ScanIndexForward=False,
        )
        return [self._from_item(item) for item in response.get("Items", [])]

    def append_audit(self, record: AuditRecord) -> None:
        """Append an audit item; never overwrites one."""
        self._db.put_item(**self._audit_put(record))

    def _audit_put(self, record: AuditRecord) -> dict[str, Any]:
        """The PutItem request of an audit item (alone, or inside a transaction)."""
        sort_key = f"AUDIT#{record.at.isoformat()}#{secrets.token_hex(4)}"
        return {
            "TableName": self._table,
            "Item": {
                "pk": {"S": _pk(record.migration_id)},
                "sk": {"S": sort_key},
                "actor": {"S": record.actor},
                "action": {"S": record.action},
                "decision": {"S": record.decision},
                "at": {"S": record.at.isoformat()},
            },
            "ConditionExpression": "attribute_not_exists(sk)",
        }

    def audit_trail(self, migration_id: str) -> list[AuditRecord]:
        """Every audit item of a migration, oldest first."""
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :a)",
            ExpressionAttributeValues={":pk": {"S": _pk(migration_id)}, ":a": {"S": "AUDIT#"}},
            ConsistentRead=True,
        )
        return [
            AuditRecord(
                migration_id=migration_id,
                actor=item["actor"]["S"],
                action=item["action"]["S"],
                decision=item["decision"]["S"],
                at=datetime.fromisoformat(item["at"]["S"]),
            )
            for item in response.get("Items", [])
        ]

    def claim(self, key: str) -> bool:
        """Record ``key`` once (conditional put); False when it was already claimed."""
        try:
            self._db.put_item(
                TableName=self._claims,
                Item={
                    "pk": {"S": key},
                    "expires_at": {"N": str(int(time.time()) + CLAIM_TTL_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def release(self, key: str) -> None:
        """Forget a claim so a retry can claim it again."""
        self._db.delete_item(TableName=self._claims, Key={"pk": {"S": key}})

    def record_task(self, migration_id: str, task: TaskRecord) -> bool:
        """Store a task state unless a newer ECS version is stored; True when written.

        The same version is written again (the same content): a retry after a crash between
        this write and the notice's publish gets True and publishes the notice it lost.
        """
        item: dict[str, Any] = {
            "pk": {"S": _pk(migration_id)},
            "sk": {"S": f"{TASK}{task.task_arn}"},
            "last_status": {"S": task.last_status},
            "ecs_version": {"N": str(task.ecs_version)},
        }
        for name, value in (
            ("stop_code", task.stop_code),
            ("stopped_reason", task.stopped_reason),
            ("stopped_at", task.stopped_at),
        ):
            if value is not None:
                item[name] = {"S": value}
        return self._conditional_put(
            item,
            "attribute_not_exists(pk) OR ecs_version <= :v",
            {":v": {"N": str(task.ecs_version)}},
        )

    def tasks(self, migration_id: str) -> list[TaskRecord]:
        """The newest stored state of every task of the migration (all pages)."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :t)",
            "ExpressionAttributeValues": {":pk": {"S": _pk(migration_id)}, ":t": {"S": TASK}},
            "ConsistentRead": True,
        }
        records: list[TaskRecord] = []
        while True:
            response = self._db.query(**query)
            records += [
                TaskRecord(
                    task_arn=item["sk"]["S"].removeprefix(TASK),
                    last_status=item["last_status"]["S"],
                    ecs_version=int(item["ecs_version"]["N"]),
                    stop_code=item.get("stop_code", {}).get("S"),
                    stopped_reason=item.get("stopped_reason", {}).get("S"),
                    stopped_at=item.get("stopped_at", {}).get("S"),
                )
                for item in response.get("Items", [])
            ]
            if "LastEvaluatedKey" not in response:
                return records
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def record_deployment(self, migration_id: str, deployment_id: str, status: str) -> bool:
        """Store a deployment status unless a terminal or the same status is stored."""
        return self._conditional_put(
            {
                "pk": {"S": _pk(migration_id)},
                "sk": {"S": f"DEPLOYMENT#{deployment_id}"},
                "deployment_status": {"S": status},
            },
            "attribute_not_exists(pk) OR NOT (deployment_status IN (:c, :f, :s))",
            {
                ":c": {"S": TERMINAL[0]},
                ":f": {"S": TERMINAL[1]},
                ":s": {"S": status},
            },
        )

    def deployment_statuses(self, migration_id: str) -> dict[str, str]:
        """Every recorded deployment id with its status."""
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
            ExpressionAttributeValues={
                ":pk": {"S": _pk(migration_id)},
                ":d": {"S": "DEPLOYMENT#"},
            },
            ConsistentRead=True,
        )
        return {
            item["sk"]["S"].removeprefix("DEPLOYMENT#"): item["deployment_status"]["S"]
            for item in response.get("Items", [])
        }

    def _conditional_put(
        self, item: dict[str, Any], condition: str, values: dict[str, Any]
    ) -> bool:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    @staticmethod
    def _data(migration: Migration) -> str:
        return migration.model_dump_json(
            exclude={"version", "slack_ts", "card_version", "card_tasks"}
        )

    def _state_item(self, migration: Migration) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": {"S": _pk(migration.migration_id)},
            "sk": {"S": STATE},
            "data": {"S": self._data(migration)},
            "version": {"N": str(migration.version)},
            "stage": {"S": migration.stage.value},
            "channel_id": {"S": migration.channel_id},
            "created_at": {"S": migration.created_at.isoformat()},
        }
        if migration.service_arn:
            item["service_arn"] = {"S": migration.service_arn}
        return item

    @staticmethod
    def _from_item(item: dict[str, Any]) -> Migration:
        data = json.loads(item["data"]["S"])
        data["version"] = int(item["version"]["N"])
        if "slack_ts" in item:
            data["slack_ts"] = item["slack_ts"]["S"]
        if "card_version" in item:
            data["card_version"] = int(item["card_version"]["N"])
        if "card_tasks" in item:
            data["card_tasks"] = item["card_tasks"]["S"]
        return Migration.model_validate(data)
