"""Systems Manager Run Command as AWS runs it, for the sandbox's modelled instances.

moto 5.2 records ``SendCommand`` as an instant ``Success`` with empty output, has no
``DescribeInstanceInformation``, and emits no events. This extension:

- answers ``DescribeInstanceInformation`` (API Reference) for the instances whose SSM agent
  is modelled as running (``sandbox.instances``): PingStatus ``Online``, agent version and
  platform; an instance without an agent is absent from the answer, as an unmanaged node is;
- runs a command on the ``InstanceIds`` it names only (moto adds every instance of the
  Region when ``Targets`` is empty);
- makes a sent command go ``Pending`` → ``InProgress`` → its outcome, and emits, as AWS does,
  "EC2 Command Invocation Status-change Notification" per instance and "EC2 Command
  Status-change Notification" for the command (Systems Manager User Guide, "Amazon
  EventBridge event examples for Systems Manager") on the default bus;
- runs the bot's capture script (``bot.domain.capture``) on the modelled instance: the
  instance's shell is not here, so the stand-in plays it. It reads the script's own settings
  (its ``MB_*`` lines and the ``--exclude`` arguments of its ``tar`` line), answers from the
  instance's app process as ``/proc`` would show it (port, pid, user, working directory,
  command line, executable, systemd unit), packs the instance's real app folder with the real
  GNU ``tar`` and those excludes, and PUTs the bundle and the environment to the presigned
  URLs over HTTP. Its answer is the script's documented ``MB1`` lines, and its exit code the
  script's (3 when it stops, which SSM reports as ``Failed``). The script itself is run for
  real, with bash against a real process, in ``tests/functional/test_capture_script.py``;
- reports, through ``GetCommandInvocation``, the first 24,000 characters of the output and
  8,000 of the errors (API Reference, GetCommandInvocation), the status and the response code.

Any other command succeeds with no output, as moto has it.
"""

from __future__ import annotations

import base64
import shlex
import subprocess
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from moto.core.responses import ActionResult
from moto.ssm.models import Command, ssm_backends
from moto.ssm.responses import SimpleSystemManagerResponse

from sandbox import aws_events
from sandbox.aws_bus import Emit
from sandbox.instances import INSTANCES, Instance

STDOUT_LIMIT = 24_000
STDERR_LIMIT = 8_000
CAPTURE_MARKER = "#!/bin/bash\n# migrate-bot capture"
_state: dict[str, Any] = {"emit": None, "delay": 0.0, "installed": False}
_original_send_command = SimpleSystemManagerResponse.send_command


def _describe_instance_information(self: SimpleSystemManagerResponse) -> ActionResult:
    """DescribeInstanceInformation for the modelled instances whose agent runs."""
    wanted: set[str] | None = None
    for entry in self._get_param("Filters", []) or []:
        if entry.get("Key") == "InstanceIds":
            wanted = set(entry.get("Values", []))
    found = []
    for instance_id, instance in sorted(INSTANCES.items()):
        if not instance.ssm_agent or (wanted is not None and instance_id not in wanted):
            continue
        name, version = instance.platform
        found.append(
            {
                "InstanceId": instance_id,
                "PingStatus": "Online",
                "LastPingDateTime": datetime.now(UTC),
                "AgentVersion": instance.agent_version,
                "IsLatestVersion": True,
                "PlatformType": "Linux",
                "PlatformName": name,
                "PlatformVersion": version,
                "ResourceType": "EC2Instance",
            }
        )
    return ActionResult({"InstanceInformationList": found})


def _send_command(self: SimpleSystemManagerResponse) -> Any:
    """SendCommand: recorded by moto, then run on each instance as the agent would."""
    result = _original_send_command(self)
    response: dict[str, Any] = result.result  # type: ignore[assignment]
    command_id = response["Command"]["CommandId"]
    command = self.ssm_backend.get_command_by_id(command_id)
    # moto adds every instance of the Region when Targets is empty (its target lookup runs
    # with no filters); AWS runs the command on the InstanceIds given, and only on them.
    requested = self._get_param("InstanceIds") or []
    if requested and not self._get_param("Targets"):
        command.instance_ids = list(dict.fromkeys(requested))
        command.invocations = [i for i in command.invocations if i["InstanceId"] in requested]
        command.target_count = command.completed_count = len(command.instance_ids)
        response["Command"].update(
            InstanceIds=command.instance_ids, TargetCount=len(command.instance_ids)
        )
    command.status, command.status_details = "Pending", "Pending"
    for invocation in command.invocations:
        invocation.update(Status="Pending", StatusDetails="Pending", ResponseCode=-1)
    response["Command"].update(Status="Pending", StatusDetails="Pending")
    account, region = self.current_account, self.region

    def run() -> None:
        _run(command, account, region)

    delay: float = _state["delay"]
    if delay <= 0:
        run()
    else:
        timer = threading.Timer(delay, run)
        timer.daemon = True
        timer.start()
    return result


def _run(command: Command, account: str, region: str) -> None:
    emit: Emit | None = _state["emit"]
    script = "\n".join(command.parameters.get("commands", []))
    outcomes = []
    for invocation in command.invocations:
        instance_id = invocation["InstanceId"]
        if script.startswith(CAPTURE_MARKER):
            code, stdout, stderr = run_capture(script, INSTANCES.get(instance_id))
        else:
            code, stdout, stderr = 0, "", ""
        status = "Success" if code == 0 else "Failed"
        invocation.update(
            Status=status,
            StatusDetails=status,
            ResponseCode=code,
            StandardOutputContent=stdout[:STDOUT_LIMIT],
            StandardErrorContent=stderr[:STDERR_LIMIT],
        )
        outcomes.append(status)
        if emit is not None:
            emit(
                aws_events.ssm_command_invocation_status_change(
                    account=account,
                    region=region,
                    command_id=command.command_id,
                    document_name=command.document_name or "",
                    instance_id=instance_id,
                    status=status,
                    requested_at=command.requested_date_time,
                )
            )
    command.status = "Success" if all(o == "Success" for o in outcomes) else "Failed"
    command.status_details = command.status
    if emit is not None:
        emit(
            aws_events.ssm_command_status_change(
                account=account,
                region=region,
                command_id=command.command_id,
                document_name=command.document_name or "",
                instance_ids=list(command.instance_ids),
                parameters=command.parameters,
                status=command.status,
                requested_at=command.requested_date_time,
                expires_at=command.requested_date_time + timedelta(seconds=command.timeout_seconds),
            )
        )


# --- the capture script, played on a modelled instance -----------------------------------


def _settings(script: str) -> tuple[dict[str, str], list[str]]:
    """The script's ``MB_*`` settings and its tar line's ``--exclude`` patterns."""
    settings: dict[str, str] = {}
    excludes: list[str] = []
    for line in script.splitlines():
        if line.startswith("MB_") and "=" in line:
            name, _, value = line.partition("=")
            settings[name] = " ".join(shlex.split(value))
        elif line.startswith("tar -C "):
            excludes = [a for a in shlex.split(line) if a.startswith("--exclude=")]
    return settings, excludes


class _Answer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, key: str, value: str | int) -> None:
        self.lines.append(f"MB1 {key}={value}")

    def text(self) -> str:
        return "".join(f"{line}\n" for line in self.lines)


def _b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def run_capture(script: str, instance: Instance | None) -> tuple[int, str, str]:
    """Play the capture script on ``instance``; return (exit code, stdout, stderr)."""
    settings, excludes = _settings(script)
    answer = _Answer()

    def stop(code: str, detail: str = "") -> tuple[int, str, str]:
        answer.say("error", code)
        if detail:
            answer.say("detail", _b64(detail))
        return 3, answer.text(), ""

    answer.say("version", 1)
    app = instance.app if instance else None
    if app is None or str(app.port) != settings.get("MB_PORT"):
        return stop("no_listener")
    answer.say("pid", app.pid)
    answer.say("user", app.user)
    answer.say("cwd", _b64(app.working_directory))
    answer.say("cmdline", _b64("".join(f"{arg}\0" for arg in app.command)))
    answer.say("exe", _b64(app.executable))
    if app.systemd_unit:
        answer.say("unit", app.systemd_unit)
        answer.say("unit_file", _b64(app.unit_file or ""))
    if app.working_directory == "/":
        return stop("cwd_is_root")
    with tempfile.TemporaryDirectory(prefix="sandbox-capture-") as work:
        bundle = Path(work) / "source.tgz"
        packed = subprocess.run(
            ["tar", "-C", str(app.folder), "-czf", str(bundle), "--warning=no-file-changed"]
            + excludes
            + ["."],
            capture_output=True,
            text=True,
        )
        if packed.returncode > 1:
            return stop("tar_failed", packed.stderr[:500])
        size = bundle.stat().st_size
        listed = subprocess.run(
            ["tar", "-tzf", str(bundle)], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        answer.say("bundle_bytes", size)
        answer.say("bundle_files", sum(1 for name in listed if not name.endswith("/")))
        if size > int(settings.get("MB_MAX_BYTES", "0")):
            return stop("bundle_too_large")
        environ = "".join(f"{k}={v}\0" for k, v in app.environment.items()).encode()
        for key, url, body in (
            ("upload_source", settings.get("MB_SOURCE_URL", ""), bundle.read_bytes()),
            ("upload_environment", settings.get("MB_ENV_URL", ""), environ),
        ):
            status, error = _put(url, body)
            answer.say(key, status)
            if status != 200:
                return stop("upload_failed", error)
    answer.say("done", 1)
    return 0, answer.text(), ""


def _put(url: str, body: bytes) -> tuple[int, str]:
    """PUT ``body`` to a presigned URL, as curl -T does (no Content-Type)."""
    try:
        response = requests.put(url, data=body, timeout=30)
    except requests.RequestException as error:
        return 0, str(error)
    return response.status_code, "" if response.ok else response.text[:500]


def install(emit: Emit | None, delay_seconds: float = 0.0) -> None:
    """Give moto's SSM the agent's behaviour; events go to ``emit`` (None: none are emitted)."""
    _state["emit"] = emit
    _state["delay"] = delay_seconds
    if not _state["installed"]:
        SimpleSystemManagerResponse.describe_instance_information = (  # type: ignore[attr-defined]
            _describe_instance_information
        )
        SimpleSystemManagerResponse.send_command = _send_command  # type: ignore[method-assign]
        _state["installed"] = True


def reset() -> None:
    """Forget moto's SSM commands (a new run starts with none)."""
    for regions in ssm_backends.values():
        for backend in regions.values():
            backend._commands.clear()
