"""The sandbox's CodeBuild "docker build": what it checks, and the image it keeps."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from moto import mock_aws

from bot.domain import app_plan
from bot.domain.build_files import build_files
from bot.domain.capture import parse_process, read_answer
from bot.domain.planning import make_plan
from bot.domain.state import Stage
from sandbox import images
from sandbox.harness import Sandbox
from tests.fakes import INSTANCE, LOAD_BALANCING, NODE_BUNDLE, capture_answer

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/migrate-bot/mig-1:mig-1"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    yield
    images.forget()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _node_files() -> dict[str, str]:
    process = parse_process(read_answer(capture_answer()))
    plan, _ = app_plan.with_capture(
        make_plan(INSTANCE, LOAD_BALANCING, None), process, NODE_BUNDLE, {}, bundle_key="k"
    )
    app = {"package.json": "{}", "package-lock.json": "{}", "server.js": "// app\n"}
    return {**app, "node_modules/x.js": "", **build_files(plan)}


def test_the_generated_node_dockerfile_builds_an_image_of_the_app() -> None:
    image = images.build(URI, _zip(_node_files()))
    assert (image.workdir, image.command, image.user) == ("/app", ["node", "server.js"], "node")
    assert image.environment["PORT"] == "3000" and image.exposed == [3000]
    assert image.base.startswith("public.ecr.aws/docker/library/node:24.")
    files = sorted(
        p.relative_to(image.root).as_posix() for p in image.root.rglob("*") if p.is_file()
    )
    assert "server.js" in files and "node_modules/x.js" not in files  # .dockerignore'd
    assert images.IMAGES[URI] is image


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            ("FROM public.ecr.aws/docker/library/node:24.16.0-trixie-slim", "FROM node"),
            "not pinned",
        ),
        (
            ("FROM public.ecr.aws/docker/library/node:24.16.0-trixie-slim", "FROM node:latest"),
            "not pinned",
        ),
        (
            ("COPY --chown=node:node package.json", "COPY --chown=node:node missing.json"),
            "COPY failed",
        ),
        (('CMD ["node", "server.js"]', 'CMD ["./bin/server"]'), "./bin/server is not in the image"),
    ],
)
def test_what_docker_build_would_refuse_fails_the_build(
    change: tuple[str, str], words: str
) -> None:
    files = _node_files()
    old, new = change
    assert old in files["Dockerfile"]
    files["Dockerfile"] = files["Dockerfile"].replace(old, new)
    with pytest.raises(images.BuildFailedError, match=words):
        images.build(URI, _zip(files))
    assert URI not in images.IMAGES


def test_a_source_excluded_by_dockerignore_cannot_be_copied() -> None:
    files = _node_files()
    files["Dockerfile"] = files["Dockerfile"].replace(
        "COPY --chown=node:node . .", "COPY node_modules ./node_modules"
    )
    with pytest.raises(images.BuildFailedError, match="excluded by .dockerignore"):
        images.build(URI, _zip(files))


def test_the_sandbox_build_keeps_the_image_the_deploy_names() -> None:
    with mock_aws(), Sandbox() as box:
        assert box.legacy is not None
        box.slash(box.legacy.name, user="U0ALICE")
        box.wait_for(Stage.PLANNED)
        box.click("approve_plan", user="U0BOB")
        migration = box.wait_for(Stage.HEALTHY, Stage.FAILED)
        assert migration.stage == Stage.HEALTHY
        image = images.IMAGES[migration.image_uri or ""]
        assert image.command == ["node", "server.js"] and (image.root / "server.js").is_file()
        assert not (image.root / ".env").exists() and not (image.root / ".git").exists()
