"""Runtimes: detect an app's runtime from its captured files and generate its Dockerfile.

Pure domain code, no I/O: ``detect`` reads a mapping of captured paths (and the contents of the
few that matter), ``render_dockerfile`` turns a detection, the port, the health path and the
start command seen on the instance into a Dockerfile. Base images and their support sources
are in ``images``.
"""

from __future__ import annotations

from bot.domain.runtimes.command import ImageCommand, rewrite_command
from bot.domain.runtimes.detect import command_runtime, detect
from bot.domain.runtimes.generate import (
    containerize_problem,
    render_dockerfile,
    render_dockerignore,
)
from bot.domain.runtimes.model import Bundle, Detection, Runtime, UnsupportedRuntimeError

__all__ = [
    "Bundle",
    "Detection",
    "ImageCommand",
    "Runtime",
    "UnsupportedRuntimeError",
    "command_runtime",
    "containerize_problem",
    "detect",
    "render_dockerfile",
    "render_dockerignore",
    "rewrite_command",
]
