"""Shared fixtures: fake AWS credentials, and a session-wide record of the bot's AWS calls.

Every AWS call a Lambda handler makes during the session is recorded with the function
it was made for (``tests/iam/recording.py``). ``driven_calls`` drives the migrations the
IAM and request-model tests check; at the end of the session every call recorded by any
test is checked against the roles in ``template.yaml`` and the pinned service models, and
what a real account (or a newer SDK) would refuse is reported and fails the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import route53 as sandbox_route53
from sandbox.template import Template
from tests.iam.checks import invalid_requests, missing_permissions
from tests.iam.recording import Call, Recorder, recording
from tests.iam.scenarios import run_cutover_and_rollback

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_RECORDER = pytest.StashKey[Recorder]()


def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point boto3 at fake credentials and one region for every test."""
    _fake_credentials(monkeypatch)
    yield


@pytest.fixture(scope="session", autouse=True)
def route53_as_aws() -> None:
    """Route 53 as AWS answers it, in every test (moto answers INSYNC at once, lists alias
    records with a TTL and deletes more than a DELETE names: ``sandbox.route53``)."""
    sandbox_route53.install()


@pytest.fixture(scope="session", autouse=True)
def aws_calls(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """Record, for the whole session, every AWS call a handler makes."""
    with recording(Template.load()) as recorder:
        request.config.stash[_RECORDER] = recorder
        yield recorder


@pytest.fixture(scope="session")
def driven_calls(aws_calls: Recorder) -> tuple[list[Call], list[str]]:
    """The calls of the driven migrations (``tests/iam/scenarios.py``: to cutover, rolled back
    by hand and by an alarm, ...), and the stage each reached."""
    with pytest.MonkeyPatch.context() as monkeypatch, aws_calls.window() as calls:
        _fake_credentials(monkeypatch)
        ends = run_cutover_and_rollback()
    return calls, ends


_PROBLEMS = pytest.StashKey[list[str]]()
#: Under pytest-xdist: what each worker's check found, gathered by the controller.
_WORKERS = pytest.StashKey[list[tuple[int, int, list[str]]]]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Check every call recorded in the session; fail the run on what AWS would refuse.

    Under pytest-xdist each worker checks its own calls and hands the result to the
    controller (``workeroutput``), which fails the run and reports for all of them.
    """
    recorder = session.config.stash.get(_RECORDER, None)
    calls = recorder.calls if recorder is not None else []
    problems = missing_permissions(calls, Template.load()) if calls else []
    problems += invalid_requests(calls) if calls else []
    counted = [(len(calls), len({c.function for c in calls}), problems)] if calls else []
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller decides
        workeroutput["aws_calls"] = counted
        return
    counted += session.config.stash.get(_WORKERS, [])
    if not counted:
        return
    problems = [p for _, _, found in counted for p in found]
    session.config.stash[_PROBLEMS] = problems
    session.config.stash[_WORKERS] = counted
    if problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist, on the controller: keep what a finished worker's check found."""
    found = getattr(node, "workeroutput", {}).get("aws_calls", [])
    node.config.stash.setdefault(_WORKERS, []).extend(found)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what the session-end check of the recorded calls found."""
    problems = terminalreporter.config.stash.get(_PROBLEMS, None)
    counted = terminalreporter.config.stash.get(_WORKERS, [])
    if problems is None or not counted:
        return
    calls = sum(n for n, _, _ in counted)
    if not problems:
        functions = max(f for _, f, _ in counted)
        terminalreporter.write_line(
            f"AWS calls: {calls} recorded in {len(counted)} process(es), by up to {functions} "
            "functions in one; each one allowed by its role in template.yaml and valid for "
            "the pinned service models"
        )
        return
    terminalreporter.section("AWS calls a real account or the pinned models would refuse")
    for problem in problems:
        terminalreporter.write_line(problem, red=True)
