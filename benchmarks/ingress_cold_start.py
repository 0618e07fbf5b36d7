"""Cold start of the ingress Lambda vs a bare Bolt app with the Lambda adapter, same run.

Each run spawns a fresh interpreter with no bytecode cache (nothing read or written), which
imports the handler and answers one signed ``/migrate help`` API Gateway v2 event. Help
touches neither AWS nor the Slack Web API; both endpoints point at 127.0.0.1:9 regardless.
The bare app is Bolt's documented Lambda set-up (``slack_bolt.adapter.aws_lambda``, which
imports boto3 for lazy listeners); the ingress translates the event itself
(``bot.adapters.bolt_lambda``) and builds nothing it does not need for help.

The last line is ``ingress / bare Bolt cold start: R``, the ratio of the median totals.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.slack_client import APP_ID, TEAM_ID, slash_command  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"  # a stand-in value, never a real secret
BOT_TOKEN = "xoxb-bench-token"  # a stand-in value, never a real token
MARK = "BENCH "
FIGURES = ("import_ms", "first_invoke_ms", "total_ms", "process_ms")

_PRELUDE = """
import time
T0 = time.perf_counter()
import json, os, sys
event = json.loads(sys.stdin.read())

class Context:
    function_name = "SlackIngressFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:SlackIngressFunction"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/SlackIngressFunction"
    log_stream_name = "local"

    def get_remaining_time_in_millis(self):
        return 300_000

T1 = time.perf_counter()
"""

_FINISH = """
T2 = time.perf_counter()
response = handler(event, Context())
T3 = time.perf_counter()
if response.get("statusCode") != 200 or EXPECTED not in (response.get("body") or ""):
    sys.exit(f"unexpected response: {response!r}")
figures = {"import_ms": (T2 - T1) * 1e3, "first_invoke_ms": (T3 - T2) * 1e3,
           "total_ms": (T3 - T0) * 1e3}
print("BENCH " + json.dumps(figures), flush=True)
"""

CHILDREN = {
    "ingress": _PRELUDE
    + "from handlers.slack_ingress import handler\nEXPECTED = '/migrate help'\n"
    + _FINISH,
    "bare": _PRELUDE
    + """
from slack_bolt import App
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

TOKEN = os.environ["SLACK_BOT_TOKEN"]

def authorize(enterprise_id, team_id, **_):
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=TOKEN)

# A fixed authorize, as the ingress does: with token= alone, Bolt calls auth.test on the
# first request even with token_verification_enabled=False.
app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    token_verification_enabled=False,
    process_before_response=True,
    client=WebClient(token=TOKEN, base_url=os.environ["SLACK_API_URL"]),
    authorize=authorize,
)

@app.command("/migrate")
def migrate(ack):
    ack("ok")

handler = SlackRequestHandler(app=app).handle
EXPECTED = "ok"
"""
    + _FINISH,
}


def child_env(pycache: str) -> dict[str, str]:
    """The child's environment: no bytecode cache, dummy credentials, loopback endpoints."""
    inherited = ("AWS_", "SLACK_", "POWERTOOLS_", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    return env | {
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPYCACHEPREFIX": pycache,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_TEAM_ID": TEAM_ID,
        "SLACK_APP_ID": APP_ID,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "MIGRATIONS_TABLE": "MigrationsTable",
        "IDEMPOTENCY_TABLE": "IdempotencyTable",
        "EVENT_BUS_NAME": "migrate-bot",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "migrate-bot",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def run_once(kind: str, timeout: float) -> dict[str, float]:
    """Spawn one fresh interpreter for ``kind``; return its figures."""
    event = slash_command(
        "/migrate",
        "help",
        user_id="U0ALICE",
        channel_id="C0PLATFORM",
        response_url="http://127.0.0.1:9/response",
        signing_secret=SIGNING_SECRET,
    )
    with tempfile.TemporaryDirectory(prefix="pycache-") as pycache:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILDREN[kind]],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            env=child_env(pycache),
            cwd=ROOT,
            timeout=timeout,
        )
        process_ms = (time.perf_counter() - started) * 1e3
        leftovers = any(Path(pycache).iterdir())
    marked = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not marked:
        raise RuntimeError(f"{kind} child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    if leftovers:
        raise RuntimeError(f"{kind} child wrote bytecode under {pycache}")
    return json.loads(marked[-1][len(MARK) :]) | {"process_ms": process_ms}


def summarise(results: dict[str, list[dict[str, float]]]) -> float:
    """Print median, min and max of each figure per kind, and ingress − bare; return R."""
    print(f"{'figure (ms)':18} {'kind':8} {'median':>9} {'min':>9} {'max':>9}")
    for figure in FIGURES:
        medians = {}
        for kind in ("ingress", "bare"):
            values = [r[figure] for r in results[kind]]
            medians[kind] = statistics.median(values)
            print(
                f"{figure:18} {kind:8} {medians[kind]:9.1f} {min(values):9.1f} {max(values):9.1f}"
            )
        diff = medians["ingress"] - medians["bare"]
        print(f"{figure:18} {'Δ':8} {diff:+9.1f}   (median ingress − median bare)\n")
    total = {kind: statistics.median(r["total_ms"] for r in results[kind]) for kind in results}
    return total["ingress"] / total["bare"]


def main(argv: list[str] | None = None) -> int:
    """Run both kinds ``--runs`` times, interleaved, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per kind")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per child")
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, float]]] = {"ingress": [], "bare": []}
    print(
        f"ingress cold start: {args.runs} runs per kind, Python {sys.version.split()[0]}, "
        "no .pyc read or written (stdlib included), one `/migrate help` per interpreter"
    )
    print(
        "import_ms: import the handler module (bare: also builds its App at module level; "
        "ingress builds its App lazily, inside first_invoke_ms)\n"
        "first_invoke_ms: first handler call · total_ms: child timer start → response · "
        "process_ms: spawn → exit, seen by the parent (includes interpreter start-up)\n"
    )
    for n in range(args.runs):
        order = ("ingress", "bare") if n % 2 == 0 else ("bare", "ingress")
        for kind in order:
            results[kind].append(run_once(kind, args.timeout))
    ratio = summarise(results)
    print("R = median total_ms of the ingress / median total_ms of the bare Bolt app (goal ≤ 1.0)")
    print(f"ingress / bare Bolt cold start: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
