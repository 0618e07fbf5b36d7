"""The interactive sandbox page: a person types /migrate and clicks the card's buttons."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from moto import mock_aws

from sandbox.harness import Sandbox
from sandbox.web import InteractiveSandbox


@pytest.fixture
def page() -> Iterator[InteractiveSandbox]:
    with mock_aws(), Sandbox() as box:
        web = InteractiveSandbox(box)
        web.start()
        yield web
        web.stop()


def get(page: InteractiveSandbox, path: str) -> str:
    with urllib.request.urlopen(page.url + path.lstrip("/"), timeout=10) as response:
        return str(response.read().decode())


def post(page: InteractiveSandbox, path: str, **form: str) -> dict[str, Any]:
    request = urllib.request.Request(
        page.url + path.lstrip("/"), data=urlencode(form).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def wait_for_button(page: InteractiveSandbox, action_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = json.loads(get(page, "/state"))
        if any(b["action_id"] == action_id for b in state["buttons"]):
            return dict(state)
        time.sleep(0.1)
    raise AssertionError(f"{action_id} was never offered")


def test_a_person_migrates_from_the_page(page: InteractiveSandbox) -> None:
    assert "/migrate" in get(page, "/")
    assert '<option value="U0GUEST">Gail (guest)</option>' in get(page, "/")
    answer = post(page, "/command", text="secure-blog", user="U0ALICE")["answer"]
    assert "started" in answer
    state = wait_for_button(page, "approve_plan")
    assert "Plan ready for approval" in state["channel"]
    refused = post(page, "/click", action_id="approve_plan", user="U0ALICE")["answer"]
    assert "two-person rule" in refused  # the requester cannot approve their own plan
    post(page, "/click", action_id="approve_plan", user="U0BOB")
    state = wait_for_button(page, "cutover_100")
    assert {b["action_id"]: b["confirm"] for b in state["buttons"]}["rollback"] == (
        "Roll back to EC2?"
    )
    guest = post(page, "/click", action_id="cutover_100", user="U0GUEST")["answer"]
    assert "a multi-channel guest" in guest
    post(page, "/click", action_id="cutover_100", user="U0BOB")
    deadline = time.monotonic() + 20
    while "Cut over — 100% on ECS" not in json.loads(get(page, "/state"))["channel"]:
        assert time.monotonic() < deadline, "the cutover never completed"
        time.sleep(0.1)


def test_bad_input_is_answered_on_the_page(page: InteractiveSandbox) -> None:
    answer = post(page, "/command", text="i-xyz", user="U0ALICE")["answer"]
    assert "not a valid EC2 instance id" in answer
    assert post(page, "/click", action_id="approve_plan", user="U0ALICE")["answer"].startswith(
        "no status card"
    )
