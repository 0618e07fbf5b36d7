"""The capture script, run for real with bash against a real process on this machine.

No stand-in: a Python app is started on a free loopback port in a folder that holds code, a
VCS folder, dependencies, logs and secret files; the script must find it by its listening
socket, report it, and upload its folder and environment through presigned PUT URLs to an S3
stand-in (moto's server on loopback).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bot.domain.capture import (
    parse_environment,
    parse_process,
    read_answer,
    refusal,
    render_script,
)
from sandbox.aws_server import free_port

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="the capture script reads Linux's /proc"
)
BUCKET = "artifacts"


@pytest.fixture(scope="module")
def s3() -> Iterator[object]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    yield client
    server.stop()


def _app_folder(root: Path) -> Path:
    app = root / "opt" / "orders"
    for path, text in {
        "app.py": "print('hi')\n",
        "requirements.txt": "gunicorn==23.0.0\n",
        "static/index.html": "<h1>orders</h1>\n",
        ".git/HEAD": "ref: refs/heads/main\n",
        "node_modules/left-pad/index.js": "module.exports = 1\n",
        ".venv/bin/python": "#!/bin/sh\n",
        "server.log": "GET /\n",
        ".env": "DB_PASSWORD=hunter2\n",
        "deploy.pem": "-----BEGIN PRIVATE KEY-----\n",
    }.items():
        (app / path).parent.mkdir(parents=True, exist_ok=True)
        (app / path).write_text(text)
    return app


def _listening(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the app never listened on {port}")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    folder = _app_folder(tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        env={"PATH": os.environ["PATH"], "TABLE_NAME": "orders", "DB_PASSWORD": "s3cret=x"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _listening(port)
        yield process, port, folder
    finally:
        process.terminate()
        process.wait(10)


def _urls(s3: object, name: str) -> tuple[str, str]:
    def url(key: str) -> str:
        return str(
            s3.generate_presigned_url(  # type: ignore[attr-defined]
                "put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=600
            )
        )

    return url(f"captures/{name}/source.tgz"), url(f"captures/{name}/environ")


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)


def test_the_script_finds_the_process_and_uploads_its_folder_and_environment(
    s3: object, app: tuple[subprocess.Popen[bytes], int, Path]
) -> None:
    process, port, folder = app
    source_url, environment_url = _urls(s3, "found")
    result = _run(render_script(port=port, source_url=source_url, environment_url=environment_url))
    assert result.returncode == 0, result.stdout + result.stderr
    facts = read_answer(result.stdout)
    assert refusal(facts, port=port) is None
    found = parse_process(facts)
    assert found.pid == process.pid
    assert found.working_directory == str(folder)
    assert found.command == [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    assert found.executable == os.path.realpath(sys.executable)
    assert found.user == Path(f"/proc/{process.pid}").owner()

    body = s3.get_object(Bucket=BUCKET, Key="captures/found/source.tgz")["Body"].read()  # type: ignore[attr-defined]
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as bundle:
        files = sorted(m.name.removeprefix("./") for m in bundle.getmembers() if m.isfile())
    assert files == [
        "app.py",
        "requirements.txt",
        "static/index.html",
    ]  # no VCS, deps, logs, secrets
    assert found.bundle_files == 3
    assert found.bundle_bytes == len(body)

    raw = s3.get_object(Bucket=BUCKET, Key="captures/found/environ")["Body"].read()  # type: ignore[attr-defined]
    environment = parse_environment(raw)
    assert environment["TABLE_NAME"] == "orders"
    assert environment["DB_PASSWORD"] == "s3cret=x"  # a value with '=' survives
    assert "s3cret" not in result.stdout  # the environment never reaches the command's output


def test_no_process_on_the_port_is_a_refusal_that_names_the_port(s3: object) -> None:
    port = free_port()
    source_url, environment_url = _urls(s3, "nobody")
    result = _run(render_script(port=port, source_url=source_url, environment_url=environment_url))
    assert result.returncode == 3
    refused = refusal(read_answer(result.stdout), port=port)
    assert refused is not None and refused.code == "no_listener"
    assert f"port {port}" in refused.reason and "--image" in refused.reason


def test_a_bundle_over_the_limit_is_refused_before_any_upload(
    s3: object, app: tuple[subprocess.Popen[bytes], int, Path]
) -> None:
    _, port, folder = app
    (folder / "data.bin").write_bytes(os.urandom(64 * 1024))  # does not compress
    source_url, environment_url = _urls(s3, "large")
    result = _run(
        render_script(
            port=port, source_url=source_url, environment_url=environment_url, max_bytes=32 * 1024
        )
    )
    assert result.returncode == 3
    refused = refusal(read_answer(result.stdout), port=port, max_bytes=32 * 1024)
    assert refused is not None and refused.code == "bundle_too_large"
    assert str(folder) in refused.reason and "32.0 KiB limit" in refused.reason
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="captures/large/")  # type: ignore[attr-defined]
    assert listed.get("KeyCount", 0) == 0


def test_an_upload_the_bucket_refuses_is_a_refusal(
    s3: object, app: tuple[subprocess.Popen[bytes], int, Path]
) -> None:
    _, port, _ = app
    source_url, environment_url = _urls(s3, "refused")
    broken = source_url.replace(f"/{BUCKET}/", "/no-such-bucket/")
    result = _run(render_script(port=port, source_url=broken, environment_url=environment_url))
    assert result.returncode == 3
    refused = refusal(read_answer(result.stdout), port=port)
    assert refused is not None and refused.code == "upload_failed"
    assert "HTTP 404" in refused.reason
