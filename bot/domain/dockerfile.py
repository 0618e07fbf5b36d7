"""Dockerfile generation for a captured application."""

from __future__ import annotations

import json

from bot.domain.plan import Plan
from bot.domain.runtimes.model import UnsupportedRuntimeError  # one error for both generators

# Pinned base images (by tag; the build pins the digest it resolves into the image's
# labels). Each is a multi-architecture image: the build's ``docker build --platform``
# (linux/amd64 or linux/arm64, from the instance) picks the variant, not the Dockerfile.
NODE_BASE = "public.ecr.aws/docker/library/node:20.18.1-alpine3.20"


__all__ = ["NODE_BASE", "UnsupportedRuntimeError", "render_dockerfile"]


def render_dockerfile(plan: Plan) -> str:
    """Return a Dockerfile (non-root user, pinned base, HEALTHCHECK) for the plan's app."""
    if plan.runtime != "node":
        raise UnsupportedRuntimeError(
            f"no Dockerfile template for runtime {plan.runtime!r} yet (node is supported)"
        )
    command = json.dumps(plan.start_command)  # exec form: a JSON array, quotes escaped
    return "\n".join(
        [
            f"FROM {NODE_BASE}",
            "ENV NODE_ENV=production",
            "WORKDIR /app",
            "COPY package*.json ./",
            "RUN npm ci --omit=dev || npm install --omit=dev",
            "COPY . .",
            "RUN chown -R node:node /app",
            "USER node",
            f"ENV PORT={plan.port}",
            f"EXPOSE {plan.port}",
            "HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\",
            f"  CMD wget -qO- http://127.0.0.1:{plan.port}{plan.health_check_path} || exit 1",
            f"CMD {command}",
            "",
        ]
    )
