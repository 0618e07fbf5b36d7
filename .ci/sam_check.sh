#!/usr/bin/env bash
# Offline checks of template.yaml: `sam validate`, `sam validate --lint` (cfn-lint; any
# error or warning fails) and `sam build`, then proves the build output is complete:
# every function's handler module and the dependency layer's python/ folder (built for
# the layer's BuildArchitecture, with every pinned requirement installed). It also checks
# the wiring STYLE.md asks of every function: own log group with retention, on-failure
# destination, explicit role, and rules with pattern, retry policy and a dead-letter queue
# whose queue policy admits the rule.
#
# Run from anywhere; it works in the repository root. Nothing here talks to AWS: dummy
# credentials and a fixed region are forced, and telemetry is off. `sam build` reaches
# PyPI for the layer's wheels.
#
# Environment:
#   PYTHON     python with PyYAML, used to read the template (default: python3, or
#              .venv/bin/python when python3 lacks PyYAML)
#   SAM_CLI_VERSION  version installed when `sam` is missing (default: 1.170.0)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
BUILD_DIR=".aws-sam/build"

log() { printf '==> %s\n' "$*"; }
die() { printf 'sam_check: FAILED: %s\n' "$*" >&2; exit 1; }

# --- offline, anonymous AWS environment --------------------------------------------------
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN

# --- the SAM CLI ------------------------------------------------------------------------
export PATH="$HOME/.local/bin:$PATH"
if ! command -v sam >/dev/null 2>&1; then
    log "sam not found: installing aws-sam-cli==$SAM_CLI_VERSION with uv (into \$HOME/.local/bin)"
    if command -v uv >/dev/null 2>&1; then
        UV=(uv)
    else
        python3 -m uv --version >/dev/null 2>&1 \
            || python3 -m pip install --quiet uv \
            || python3 -m pip install --quiet --user uv \
            || die "could not pip install uv"
        UV=(python3 -m uv)
    fi
    UV_TOOL_BIN_DIR="$HOME/.local/bin" "${UV[@]}" tool install --quiet \
        --python "$(command -v python3)" "aws-sam-cli==$SAM_CLI_VERSION" \
        || die "could not install aws-sam-cli==$SAM_CLI_VERSION"
    hash -r
    command -v sam >/dev/null 2>&1 || die "sam still not on PATH after installing it"
fi
log "$(sam --version) ($(command -v sam))"

# --- python3.13 for the build (the function runtime) --------------------------------------
# SAM's python_pip workflow needs a `python3.13` on PATH. With pyenv, add an installed
# 3.13 to the active versions (PYENV_VERSION=<current>:<3.13.x>) for the build only.
BUILD_ENV=()
if ! python3.13 --version >/dev/null 2>&1; then
    command -v pyenv >/dev/null 2>&1 || die "python3.13 not found (and no pyenv to find one)"
    py313="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.|$)' | sort -V | tail -n 1 || true)"
    [[ -n "$py313" ]] || die "python3.13 not found: pyenv has no 3.13.x installed"
    current="$(pyenv version-name 2>/dev/null || echo system)"
    BUILD_ENV=("PYENV_VERSION=${current}:${py313}")
    env "${BUILD_ENV[@]}" python3.13 --version >/dev/null 2>&1 \
        || die "python3.13 not runnable with ${BUILD_ENV[*]}"
fi
log "build python: $(env "${BUILD_ENV[@]}" python3.13 --version 2>&1) ${BUILD_ENV[*]}"

if ! "$PYTHON" -c 'import yaml' 2>/dev/null; then
    # Default python3 without PyYAML: fall back to the project's virtualenv if it has it.
    if [[ "$PYTHON" == python3 ]] && .venv/bin/python -c 'import yaml' 2>/dev/null; then
        PYTHON=.venv/bin/python
    else
        die "$PYTHON cannot import yaml (PyYAML); set PYTHON to a python that has it"
    fi
fi

# --- validate, lint, build ------------------------------------------------------------------
log "sam validate"
sam validate --template-file template.yaml || die "sam validate"

log "sam validate --lint"
sam validate --lint --template-file template.yaml || die "sam validate --lint (errors or warnings above)"

log "sam build"
rm -rf "$BUILD_DIR"
start=$SECONDS
env "${BUILD_ENV[@]}" sam build --build-in-source --template-file template.yaml --build-dir "$BUILD_DIR" \
    || die "sam build"
log "sam build took $((SECONDS - start)) s"

# --- build output and wiring ----------------------------------------------------------------
log "checking build output in $BUILD_DIR and the template's wiring"
if ! "$PYTHON" - "$BUILD_DIR" <<'PY'
"""Build output is complete, and every function is wired as STYLE.md asks.

Build: each function's handler module and each python layer's python/ folder (pinned
versions installed, compiled extensions for the layer's BuildArchitecture).
Wiring: each function has its own log group (/aws/lambda/<FunctionName>, with retention),
an on-failure destination, and a role; each EventBridgeRule event has a pattern, a retry
policy and a dead-letter queue whose queue policy lets that rule send to it.
"""

import json
import re
import sys
from pathlib import Path

import yaml

build = Path(sys.argv[1])


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation short-form tags (!Ref, !Sub, ...) as plain data."""


def _tagged(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Fn::" + tag_suffix if tag_suffix != "Ref" else "Ref": value}


CfnLoader.add_multi_constructor("!", _tagged)

template = yaml.load(Path("template.yaml").read_text(), Loader=CfnLoader)
resources = template.get("Resources") or {}
function_globals = ((template.get("Globals") or {}).get("Function")) or {}
problems: list[str] = []


def target(value, fn: str) -> str | None:
    """Logical id named by {"Ref": id} or {"Fn::GetAtt": "id.Attr" | [id, Attr]}."""
    if not isinstance(value, dict) or fn not in value:
        return None
    inner = value[fn]
    return inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0]


def text(value) -> str | None:
    """A plain string or the template string of a !Sub."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        inner = value["Fn::Sub"]
        return inner if isinstance(inner, str) else inner[0]
    return None


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


functions = {k: v for k, v in resources.items() if v.get("Type") == "AWS::Serverless::Function"}
layers = {k: v for k, v in resources.items() if v.get("Type") == "AWS::Serverless::LayerVersion"}
if not functions:
    problems.append("template.yaml declares no AWS::Serverless::Function")

# --- build output ----------------------------------------------------------------------
for logical_id, resource in sorted(functions.items()):
    props = resource.get("Properties") or {}
    handler = props.get("Handler", function_globals.get("Handler"))
    if not isinstance(handler, str) or "." not in handler:
        problems.append(f"{logical_id}: no usable Handler ({handler!r})")
        continue
    path = build / logical_id / (handler.rsplit(".", 1)[0].replace(".", "/") + ".py")
    if path.is_file():
        print(f"  ok  {logical_id:<22} {handler:<36} {path}")
    else:
        problems.append(f"{logical_id}: handler module missing from the build: {path}")
    # Production-only artifacts: the product's two packages and nothing else (no tests,
    # benchmarks, sandbox emulator, caches or repository files).
    artifact = build / logical_id
    top = sorted(p.name for p in artifact.iterdir()) if artifact.is_dir() else []
    if top != ["bot", "handlers"]:
        problems.append(f"{logical_id}: artifact holds {top}, expected exactly ['bot', 'handlers']")
    stray = [
        str(p.relative_to(artifact))
        for p in artifact.rglob("*")
        if p.name in ("sandbox", "tests", "benchmarks", "__pycache__") or p.suffix == ".pyc"
    ]
    if stray:
        problems.append(f"{logical_id}: artifact ships {stray[:5]}")
    elif top == ["bot", "handlers"]:
        files = sum(1 for p in artifact.rglob("*") if p.is_file())
        print(f"  ok  {logical_id:<22} artifact: bot/ and handlers/ only ({files} files)")

for logical_id, resource in sorted(layers.items()):
    metadata = resource.get("Metadata") or {}
    props = resource.get("Properties") or {}
    if not str(metadata.get("BuildMethod", "")).startswith("python"):
        continue
    site = build / logical_id / "python"
    if not site.is_dir() or not any(site.iterdir()):
        problems.append(f"{logical_id}: layer folder missing or empty: {site}")
        continue
    installed = {}
    for dist in site.glob("*.dist-info"):
        name, _, version = dist.name[: -len(".dist-info")].partition("-")
        installed[canonical(name)] = version
    content = props.get("ContentUri")
    requirements = Path(content) / "requirements.txt" if isinstance(content, str) else None
    if requirements and requirements.is_file():
        for line in requirements.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^]]*\])?==([^\s;]+)", line)
            if match:
                name, version = match.groups()
                got = installed.get(canonical(name))
                if got != version:
                    problems.append(f"{logical_id}: {name}=={version} pinned, found {got or 'nothing'}")
    arch = metadata.get("BuildArchitecture", "x86_64")
    wanted, foreign = ("aarch64", "x86_64") if arch == "arm64" else ("x86_64", "aarch64")
    extensions = [p for p in site.rglob("*.so") if "-linux-gnu" in p.name]
    wrong = [p for p in extensions if foreign in p.name or wanted not in p.name]
    problems += [f"{logical_id}: extension not built for {arch}: {p}" for p in wrong]
    print(
        f"  ok  {logical_id:<22} {site} ({len(installed)} distributions,"
        f" {len(extensions) - len(wrong)} {wanted} extensions)"
    )

# --- wiring ------------------------------------------------------------------------------
queue_policies = [r for r in resources.values() if r.get("Type") == "AWS::SQS::QueuePolicy"]
for logical_id, resource in sorted(functions.items()):
    props = resource.get("Properties") or {}
    where, before = f"{logical_id}:", len(problems)
    log_group_id = target((props.get("LoggingConfig") or {}).get("LogGroup"), "Ref")
    log_group = resources.get(log_group_id or "", {})
    if log_group.get("Type") != "AWS::Logs::LogGroup":
        problems.append(f"{where} LoggingConfig.LogGroup is not a !Ref to an AWS::Logs::LogGroup")
    else:
        lg = log_group.get("Properties") or {}
        if "RetentionInDays" not in lg:
            problems.append(f"{where} log group {log_group_id} has no RetentionInDays")
        name, fn_name = text(lg.get("LogGroupName")), text(props.get("FunctionName"))
        if fn_name is None or name != f"/aws/lambda/{fn_name}":
            problems.append(f"{where} log group {log_group_id} is not named /aws/lambda/<FunctionName>")
    invoke = props.get("EventInvokeConfig") or function_globals.get("EventInvokeConfig") or {}
    on_failure = ((invoke.get("DestinationConfig") or {}).get("OnFailure")) or {}
    if "MaximumRetryAttempts" not in invoke or not on_failure.get("Destination"):
        problems.append(f"{where} EventInvokeConfig lacks MaximumRetryAttempts or an OnFailure destination")
    if not props.get("Role") and not props.get("Policies"):
        problems.append(f"{where} neither Role nor Policies: it would get SAM's default role")
    for event_name, event in (props.get("Events") or {}).items():
        if event.get("Type") != "EventBridgeRule":
            continue
        ep = event.get("Properties") or {}
        rule = f"{logical_id}{event_name}"
        retry = ep.get("RetryPolicy") or {}
        if not ep.get("Pattern"):
            problems.append(f"{where} rule {event_name} has no Pattern")
        if not {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"} <= retry.keys():
            problems.append(f"{where} rule {event_name} RetryPolicy lacks MaximumRetryAttempts/MaximumEventAgeInSeconds")
        dlq = ep.get("DeadLetterConfig") or {}
        if not dlq.get("Arn") and not dlq.get("Type"):
            problems.append(f"{where} rule {event_name} has no DeadLetterConfig")
        queue = target(dlq.get("Arn"), "Fn::GetAtt")
        if queue:
            granted = [
                p for p in queue_policies
                if any(target(q, "Ref") == queue for q in (p.get("Properties") or {}).get("Queues", []))
                and re.search(rf'"{rule}(\.Arn)?"', json.dumps(p))
            ]
            if not granted:
                problems.append(f"{where} no AWS::SQS::QueuePolicy on {queue} lets rule {rule} send to it")
    if len(problems) == before:
        print(f"  ok  {logical_id:<22} wiring (log group, on-failure destination, role, rules)")

if problems:
    print("\nsam_check found problems:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    sys.exit(1)
print(f"build output and wiring complete: {len(functions)} functions, {len(layers)} layer(s)")
PY
then
    die "build output / wiring check (see the list above)"
fi
log "sam_check: OK"
