"""The DynamoDB store's side of the task fold: task states with their stop, the card's summary."""

from __future__ import annotations

from bot.adapters.dynamodb_store import DynamoStore
from bot.domain.state import Stage
from bot.domain.tasks import TaskRecord, summarize
from tests.functional import test_adapters
from tests.functional.test_adapters import new_migration

# The adapter tests' fixtures: moto in-process with the template's tables.
clients, tables, store = test_adapters.clients, test_adapters.tables, test_adapters.store


def test_tasks_come_back_with_their_stop_and_only_the_newest_state(store: DynamoStore) -> None:
    stopped = TaskRecord(
        task_arn="arn:aws:ecs:us-east-1:1:task/default/a",
        last_status="STOPPED",
        ecs_version=8,
        stop_code="EssentialContainerExited",
        stopped_reason="Essential container in task exited",
        stopped_at="2026-11-25T09:00:09.000Z",
    )
    running = TaskRecord(
        task_arn="arn:aws:ecs:us-east-1:1:task/default/b", last_status="RUNNING", ecs_version=4
    )
    assert store.record_task("mig-0000e001", stopped)
    assert store.record_task("mig-0000e001", running)
    older = running.model_copy(update={"task_arn": stopped.task_arn, "ecs_version": 4})
    assert not store.record_task("mig-0000e001", older)  # a late RUNNING of the stopped task
    assert store.record_task("mig-0000e002", running)  # another migration's tasks stay apart
    found = sorted(store.tasks("mig-0000e001"), key=lambda t: t.task_arn)
    assert found == [stopped, running]
    summary = summarize(found, desired=1)
    assert (summary.running, summary.last_stop_code) == (1, "EssentialContainerExited")


def test_the_card_remembers_the_task_summary_it_shows(store: DynamoStore) -> None:
    created = store.create(new_migration("mig-0000e003"))
    store.mark_card("mig-0000e003", created.version, "1/1/-")
    store.mark_card("mig-0000e003", created.version, "2/1/-")  # same version, newer summary
    shown = store.get("mig-0000e003")
    assert (shown.card_version, shown.card_tasks) == (created.version, "2/1/-")
    assert shown.version == created.version  # showing tasks bumps nothing
    store.mark_card("mig-0000e003", created.version - 1, "0/1/-")  # an older render: ignored
    assert store.get("mig-0000e003").card_tasks == "2/1/-"
    saved = store.save(shown.model_copy(update={"stage": Stage.DISCOVERING}))
    store.restore(shown, saved.version)  # an undone change forgets what the card showed
    assert store.get("mig-0000e003").card_tasks is None
