"""Capturing the app from its instance: the shell script SSM runs, and reading its answer (pure).

The script runs as ``AWS-RunShellScript`` (as root, under the SSM agent). It finds the process
listening on the target group's port from ``/proc/net/tcp{,6}`` and the socket links under
``/proc/<pid>/fd`` (no ``ss`` or ``lsof`` needed), reads its working directory, command line,
user and systemd unit, packages the working directory with ``tar`` and uploads it, with the
process's environment, through two presigned PUT URLs the bot issued, so the instance needs no
S3 permission. The environment travels only to S3 (never in the command's output, which SSM
keeps in its command history). The answer on standard output is one ``MB1 key=value`` line per
fact, binary-safe values in base64, so nothing in a path or an argument can break the parsing.
"""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Sequence

from pydantic import BaseModel, Field

#: Largest packed bundle accepted (bytes). An app folder past it is usually data, not code.
MAX_BUNDLE_BYTES = 100 * 1024 * 1024
#: Marker of every answer line (the format's version is in it).
LINE_PREFIX = "MB1 "
#: The script's header line that names the port; kept on one line of its own.
PORT_LINE = "MB_PORT="

# Left out of the bundle (GNU tar's unanchored --exclude: any path component matches).
# Version control; dependency folders the image's build restores; logs; secret file names.
VCS_EXCLUDES: tuple[str, ...] = (".git", ".hg", ".svn")
DEPENDENCY_EXCLUDES: tuple[str, ...] = (
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    "*.pyc",
    ".bundle",
    "vendor/bundle",
    ".gradle",
    ".m2",
)
LOG_EXCLUDES: tuple[str, ...] = ("*.log", "logs", "log/*.log")
SECRET_EXCLUDES: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".ssh",
    ".aws",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    "credentials.json",
    "secrets.*",
)
EXCLUDES: tuple[str, ...] = VCS_EXCLUDES + DEPENDENCY_EXCLUDES + LOG_EXCLUDES + SECRET_EXCLUDES


COMMENT_PREFIX = "migrate-bot capture "


def capture_keys(migration_id: str) -> tuple[str, str]:
    """Artifacts-bucket keys of a migration's captured bundle and environment."""
    return f"captures/{migration_id}/source.tgz", f"captures/{migration_id}/environ"


def comment_for(migration_id: str) -> str:
    """The SendCommand Comment that names the migration (GetCommandInvocation returns it)."""
    return COMMENT_PREFIX + migration_id


def migration_of(comment: str | None) -> str | None:
    """The migration id a command's Comment names, or None for a command not the bot's."""
    if comment and comment.startswith(COMMENT_PREFIX):
        return comment[len(COMMENT_PREFIX) :].strip() or None
    return None


class CaptureOutputError(ValueError):
    """The command's output is not an answer of this script (the message says what is wrong)."""


class CapturedProcess(BaseModel):
    """What the capture found on the instance: the app's process and the bundle of its folder."""

    pid: int = Field(description="Process id of the process listening on the app's port.")
    user: str = Field(description="The user it runs as.")
    working_directory: str = Field(description="Its working directory on the instance.")
    command: list[str] = Field(description="Its command line, one argument per item.")
    executable: str | None = Field(default=None, description="The program's path (/proc/pid/exe).")
    systemd_unit: str | None = Field(default=None, description="Its systemd service, if any.")
    unit_file: str | None = Field(
        default=None, description="The unit's text as systemctl cat shows it."
    )
    bundle_bytes: int = Field(description="Size of the packed bundle (bytes).")
    bundle_files: int = Field(description="Files in the bundle.")


class CaptureRefusal(BaseModel):
    """The capture ran but could not produce a bundle; ``reason`` says why and what to do."""

    code: str = Field(description="The script's error code, e.g. no_listener.")
    reason: str = Field(description="A sentence a person can act on.")


def render_script(
    *,
    port: int,
    source_url: str,
    environment_url: str,
    max_bytes: int = MAX_BUNDLE_BYTES,
    excludes: Sequence[str] = EXCLUDES,
) -> str:
    """Return the bash script that finds, reports and uploads the app listening on ``port``."""
    exclude_args = " ".join(shlex.quote(f"--exclude={pattern}") for pattern in excludes)
    return _SCRIPT.format(
        port_line=f"{PORT_LINE}{int(port)}",
        source_url=shlex.quote(source_url),
        environment_url=shlex.quote(environment_url),
        max_bytes=int(max_bytes),
        excludes=exclude_args,
    )


_SCRIPT = r"""#!/bin/bash
# migrate-bot capture (MB1): report the process listening on MB_PORT and upload its folder.
set -u
{port_line}
MB_SOURCE_URL={source_url}
MB_ENV_URL={environment_url}
MB_MAX_BYTES={max_bytes}
say() {{ printf 'MB1 %s=%s\n' "$1" "$2"; }}
b64() {{ base64 -w0 2>/dev/null || base64 | tr -d '\n'; }}
stop() {{ say error "$1"; [ $# -gt 1 ] && say detail "$(printf '%s' "$2" | b64)"; exit 3; }}
work=$(mktemp -d) || stop no_temp_dir
trap 'rm -rf "$work"' EXIT
say version 1
hex=$(printf ':%04X' "$MB_PORT")
inodes=$(awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p {{ print $10 }}' \
  /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
[ -n "$inodes" ] || stop no_listener
pids=""
for inode in $inodes; do
  for fd in $(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\[$inode\]" 2>/dev/null); do
    p=${{fd#/proc/}}; pids="$pids ${{p%%/*}}"
  done
done
pids=$(printf '%s\n' $pids | sort -un)
[ -n "$pids" ] || stop no_process
pid=""
for p in $pids; do  # the process whose parent does not share the socket: gunicorn's master
  parent=$(awk '/^PPid:/ {{ print $2 }}' "/proc/$p/status" 2>/dev/null)
  printf '%s\n' $pids | grep -qx "$parent" || {{ pid=$p; break; }}
done
[ -n "$pid" ] || pid=$(printf '%s\n' $pids | head -n 1)
cwd=$(readlink "/proc/$pid/cwd") || stop unreadable_process
say pid "$pid"
say user "$(stat -c %U "/proc/$pid")"
say cwd "$(printf '%s' "$cwd" | b64)"
say cmdline "$(b64 < "/proc/$pid/cmdline")"
say exe "$(readlink "/proc/$pid/exe" | tr -d '\n' | b64)"
unit=$(sed -n 's#^.*/\([^/]*\.service\)$#\1#p' "/proc/$pid/cgroup" 2>/dev/null | head -n 1)
if [ -n "$unit" ]; then
  say unit "$unit"
  command -v systemctl >/dev/null 2>&1 && say unit_file "$(systemctl cat "$unit" 2>/dev/null | b64)"
fi
[ "$cwd" != "/" ] || stop cwd_is_root
tar -C "$cwd" -czf "$work/source.tgz" --warning=no-file-changed {excludes} . 2>"$work/tar.err"
[ $? -le 1 ] || stop tar_failed "$(head -c 500 "$work/tar.err")"
bytes=$(stat -c %s "$work/source.tgz")
say bundle_bytes "$bytes"
say bundle_files "$(tar -tzf "$work/source.tgz" | grep -vc '/$')"
[ "$bytes" -le "$MB_MAX_BYTES" ] || stop bundle_too_large
cat "/proc/$pid/environ" > "$work/environ" 2>/dev/null || stop unreadable_environment
put() {{
  if command -v curl >/dev/null 2>&1; then
    curl -sS -o /dev/null -w '%{{http_code}}' -H 'Expect:' -X PUT -T "$1" "$2"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import sys, urllib.request as u
r = u.Request(sys.argv[2], data=open(sys.argv[1], "rb").read(), method="PUT")
print(u.urlopen(r).status, end="")' "$1" "$2"
  else
    printf 'none'
  fi
}}
code=$(put "$work/source.tgz" "$MB_SOURCE_URL" 2>"$work/put.err")
say upload_source "$code"
[ "$code" = none ] && stop no_uploader
[ "$code" = 200 ] || stop upload_failed "$(head -c 500 "$work/put.err")"
code=$(put "$work/environ" "$MB_ENV_URL" 2>"$work/put.err")
say upload_environment "$code"
[ "$code" = 200 ] || stop upload_failed "$(head -c 500 "$work/put.err")"
say done 1
"""


def _decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise CaptureOutputError(f"the capture's {what} is not base64") from error


def read_answer(stdout: str) -> dict[str, str]:
    """Return the ``MB1 key=value`` facts of the script's output (later lines win)."""
    facts: dict[str, str] = {}
    for line in stdout.splitlines():
        if line.startswith(LINE_PREFIX) and "=" in line:
            key, _, value = line[len(LINE_PREFIX) :].partition("=")
            facts[key.strip()] = value.strip()
    if facts.get("version") != "1":
        raise CaptureOutputError(
            "the command's output holds no migrate-bot capture answer (was it cut short?)"
        )
    return facts


def _text(facts: dict[str, str], key: str) -> str:
    return _decode(facts.get(key, ""), key).decode("utf-8", errors="replace")


def parse_process(facts: dict[str, str]) -> CapturedProcess:
    """Return the captured process of a complete answer (``done=1``)."""
    try:
        pid, files, size = int(facts["pid"]), int(facts["bundle_files"]), int(facts["bundle_bytes"])
    except (KeyError, ValueError) as error:
        raise CaptureOutputError(f"the capture's answer lacks {error}") from error
    raw_command = _decode(facts.get("cmdline", ""), "command line")
    command = [arg.decode("utf-8", errors="replace") for arg in raw_command.split(b"\0")]
    while command and command[-1] == "":
        command.pop()
    return CapturedProcess(
        pid=pid,
        user=facts.get("user", "") or "unknown",
        working_directory=_text(facts, "cwd"),
        command=command,
        executable=_text(facts, "exe") or None,
        systemd_unit=facts.get("unit") or None,
        unit_file=_text(facts, "unit_file") or None if facts.get("unit_file") else None,
        bundle_bytes=size,
        bundle_files=files,
    )


def parse_environment(raw: bytes) -> dict[str, str]:
    """Return ``/proc/<pid>/environ`` (NUL-separated ``NAME=value``) as a mapping."""
    environment: dict[str, str] = {}
    for entry in raw.split(b"\0"):
        name, sep, value = entry.decode("utf-8", errors="replace").partition("=")
        if sep and name:
            environment[name] = value
    return environment


def _size(value: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} bytes"


WAY_OUT = (
    "Migrate with --image <uri> (an image you built) or --source s3://… (a bundle you upload)."
)


def refusal(
    facts: dict[str, str], *, port: int, max_bytes: int = MAX_BUNDLE_BYTES
) -> CaptureRefusal | None:
    """Return why the answer holds no bundle, in words a person can act on; None when it does."""
    code = facts.get("error")
    if code is None:
        if facts.get("done") != "1":
            raise CaptureOutputError("the capture's answer stops before the upload finished")
        return None
    detail = _text(facts, "detail").strip() if facts.get("detail") else ""
    folder = _text(facts, "cwd") if facts.get("cwd") else "its folder"
    if facts.get("cmdline"):
        command = shlex.join(
            parse_process({**facts, "bundle_files": "0", "bundle_bytes": "0"}).command
        )
    else:
        command = "the process"
    reasons = {
        "no_listener": f"No process on the instance listens on port {port}, the port its "
        "target group sends traffic to. Start the app and migrate again.",
        "no_process": f"Port {port} is open on the instance, but no process could be matched to "
        "its socket (a container or another network namespace may own it).",
        "cwd_is_root": f"The process listening on port {port} (`{command}`) runs in /, so "
        "there is no app folder to capture; it may be a proxy in front of the app.",
        "bundle_too_large": f"The app folder {folder} packs to "
        f"{_size(int(facts.get('bundle_bytes', '0') or 0))}, over the {_size(max_bytes)} limit; "
        "move data out of the folder.",
        "tar_failed": f"Packaging {folder} on the instance failed: {detail or 'tar gave no reason'}.",
        "no_uploader": "The instance has neither curl nor python3 to upload the bundle with.",
        "upload_failed": f"The instance could not upload the bundle (HTTP "
        f"{facts.get('upload_environment') or facts.get('upload_source') or '?'}"
        f"{': ' + detail if detail else ''}); it needs outbound HTTPS to Amazon S3.",
        "unreadable_process": f"The process listening on port {port} ended while it was read.",
        "unreadable_environment": f"The environment of `{command}` could not be read.",
        "no_temp_dir": "The instance has no writable temporary folder (mktemp failed).",
    }
    reason = reasons.get(code, f"The capture stopped with {code!r}.")
    return CaptureRefusal(code=code, reason=f"{reason} {WAY_OUT}")
