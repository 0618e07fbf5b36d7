"""DynamoDB behind the ``ReportStore`` port: compiled reports and the migrations to report on.

A compiled report is a transient result handed from the report consumer to the notifier, so
it lives in the idempotency table beside the claims, with the same TTL (``expires_at``, seven
days; DynamoDB deletes expired items within a few days, "Using time to live"): one item per
report key (``pk``), the report as JSON. A schedule reports on every channel: the migrations
are read from the ``by_channel`` index (a sparse index: only migration state items carry
``channel_id``), every page of a ``Scan``.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.dynamodb_store import CLAIM_TTL_SECONDS, DynamoStore
from bot.domain.health_report import HealthReport
from bot.domain.migration import Migration


class DynamoReports:
    """Reports in the idempotency table; migrations from the migrations table's index."""

    def __init__(self, client: Any, table: str, idempotency_table: str) -> None:
        self._db = client
        self._table = table
        self._claims = idempotency_table

    def all_migrations(self) -> list[Migration]:
        """Every migration's state item, from the ``by_channel`` index (all pages)."""
        request: dict[str, Any] = {"TableName": self._table, "IndexName": "by_channel"}
        found: list[Migration] = []
        while True:
            page = self._db.scan(**request)
            found += [DynamoStore._from_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_report(self, key: str) -> HealthReport | None:
        """The report stored under ``key`` (strongly consistent), if any."""
        item = self._db.get_item(
            TableName=self._claims, Key={"pk": {"S": key}}, ConsistentRead=True
        ).get("Item")
        if item is None or "report" not in item:
            return None
        return HealthReport.model_validate_json(item["report"]["S"])

    def put_report(self, report: HealthReport) -> bool:
        """Store ``report`` unless its key is taken (the first compiled report stands)."""
        try:
            self._db.put_item(
                TableName=self._claims,
                Item={
                    "pk": {"S": report.key},
                    "report": {"S": report.model_dump_json()},
                    "expires_at": {"N": str(int(time.time()) + CLAIM_TTL_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
