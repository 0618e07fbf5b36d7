"""Pinned base images per runtime release, each of a release supported on 2026-12-02.

Every image is multi-architecture; the build's ``--platform`` picks amd64 or arm64, never the
Dockerfile. Tags are exact versions (the build records the digest it resolves). Official images
come from the ECR Public mirror of Docker Official Images (public.ecr.aws/docker/library), the
unprivileged nginx from NGINX's own ECR Public repository. Support dates, and where they come from:

- Node.js 22 (EOL 2027-04-30) and 24 (EOL 2028-04-30): the Node.js release schedule
  (github.com/nodejs/Release), as listed on endoflife.date/nodejs; Node 20 ended 2026-04-30.
- Python 3.11 (EOL 2027-10), 3.12 (2028-10), 3.13 (2029-10), 3.14 (2030-10): PEP 664/693/719/745
  and python.org/downloads (endoflife.date/python); 3.10 ended 2026-10.
- Java: Eclipse Temurin 21 (LTS, "until at least December 2029") and 25 (LTS, "until at least
  September 2031"): adoptium.net/support (endoflife.date/eclipse-temurin).
- Go: "each major Go release is supported until there are two newer major releases"
  (go.dev/doc/devel/release). Go ships every February and August, so on 2026-12-02 the supported
  lines are 1.26 and 1.27 (1.25 is not); the build uses 1.26.5 (July 2026), supported until 1.28.
- Ruby 3.3 (security maintenance until 2027-03) and 3.4 (until 2028-03): ruby-lang.org's
  branch maintenance policy (endoflife.date/ruby); 3.2 ended 2026-03.
- PHP 8.3 (security until 2027-12-31) and 8.4 (until 2028-12-31): php.net/supported-versions;
  8.2 ends 2026-12-31, so it is upgraded to 8.3 with a warning.
- nginx 1.30 (stable line since 2026-04-14; 1.28 ended then): nginx.org/en/download.html
  (endoflife.date/nginx).
- Alpine 3.22 (until 2027-05-01): alpinelinux.org/releases. Debian 13 "trixie" (the variant of
  the Debian-based images) and Ubuntu 24.04 "noble" (Temurin's) are each supported past 2029.

Patch versions are recent releases those sources name; they were not checked against the
registries from here. Bumping one is a one-line change in this table, and a tag that does not
exist fails the build loudly (``docker manifest inspect`` in CI would catch it earlier).
"""

from __future__ import annotations

_LIBRARY = "public.ecr.aws/docker/library"

NODE: dict[str, str] = {
    "22": f"{_LIBRARY}/node:22.22.0-trixie-slim",
    "24": f"{_LIBRARY}/node:24.16.0-trixie-slim",
}
PYTHON: dict[str, str] = {
    "3.11": f"{_LIBRARY}/python:3.11.14-slim-trixie",
    "3.12": f"{_LIBRARY}/python:3.12.12-slim-trixie",
    "3.13": f"{_LIBRARY}/python:3.13.12-slim-trixie",
    "3.14": f"{_LIBRARY}/python:3.14.5-slim-trixie",
}
JAVA_JRE: dict[str, str] = {
    "21": f"{_LIBRARY}/eclipse-temurin:21.0.9_10-jre-noble",
    "25": f"{_LIBRARY}/eclipse-temurin:25.0.1_8-jre-noble",
}
JAVA_JDK: dict[str, str] = {
    "21": f"{_LIBRARY}/eclipse-temurin:21.0.9_10-jdk-noble",
    "25": f"{_LIBRARY}/eclipse-temurin:25.0.1_8-jdk-noble",
}
MAVEN: dict[str, str] = {
    "21": f"{_LIBRARY}/maven:3.9.11-eclipse-temurin-21",
    "25": f"{_LIBRARY}/maven:3.9.11-eclipse-temurin-25",
}
GRADLE: dict[str, str] = {
    "21": f"{_LIBRARY}/gradle:9.1.0-jdk21",
    "25": f"{_LIBRARY}/gradle:9.1.0-jdk25",
}
GO_BUILD = f"{_LIBRARY}/golang:1.26.5-trixie"
GO_RUNTIME = f"{_LIBRARY}/alpine:3.22.2"
RUBY: dict[str, str] = {
    "3.3": f"{_LIBRARY}/ruby:3.3.11-slim-trixie",
    "3.4": f"{_LIBRARY}/ruby:3.4.7-slim-trixie",
}
PHP: dict[str, str] = {
    "8.3": f"{_LIBRARY}/php:8.3.27-cli-trixie",
    "8.4": f"{_LIBRARY}/php:8.4.14-cli-trixie",
}
COMPOSER = f"{_LIBRARY}/composer:2.8.12"
STATIC = "public.ecr.aws/nginx/nginx-unprivileged:1.30.3-alpine"

# Python packaging tools installed in the build stage, pinned (PyPI).
POETRY = "poetry==2.5.1"
UV = "uv==0.13.8"
PIPENV = "pipenv==2026.10.3"
