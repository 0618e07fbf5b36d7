"""Ruby: detection (Gemfile, .ruby-version, Gemfile.lock) and its Dockerfile template."""

from __future__ import annotations

import re

from bot.domain.runtimes import images
from bot.domain.runtimes.model import Bundle, Detection
from bot.domain.runtimes.render import APP_UID, Spec, debian_user, tail
from bot.domain.runtimes.versions import choose

_BUNDLE_ENV = "ENV BUNDLE_WITHOUT=development:test BUNDLE_PATH=/usr/local/bundle"


def _requested(bundle: Bundle) -> tuple[str | None, str | None]:
    text = bundle.text(".ruby-version").strip()
    if text:
        return text.removeprefix("ruby-"), ".ruby-version"
    gemfile = re.search(r"^\s*ruby\s+['\"]([^'\"]+)['\"]", bundle.text("Gemfile"), re.MULTILINE)
    if gemfile:
        return gemfile.group(1), "Gemfile"
    lock = re.search(r"RUBY VERSION\s+ruby\s+(\d+\.\d+\.\d+)", bundle.text("Gemfile.lock"))
    if lock:
        return lock.group(1), "Gemfile.lock"
    return None, None


def detect(bundle: Bundle) -> Detection | None:
    """Detect a Ruby app from its Gemfile, or return None."""
    if not bundle.has("Gemfile"):
        return None
    requested, source = _requested(bundle)
    choice = choose(requested, list(images.RUBY), default="3.4", name="Ruby", minor=True)
    rails_assets = bundle.has("bin/rails") and any(
        p.startswith("app/assets/") for p in bundle.paths
    )
    lock = "Gemfile.lock" if bundle.has("Gemfile.lock") else None
    reasons = [
        "Gemfile → Bundler" + (" with Gemfile.lock" if lock else ""),
        f"{source} asks for Ruby {requested} → {choice.line}"
        if requested
        else f"no Ruby version pinned → {choice.line}",
    ]
    if rails_assets:
        reasons.append("a Rails app with assets → the build stage precompiles them")
    warnings = [choice.warning] if choice.warning else []
    if lock is None:
        warnings.append("No Gemfile.lock: gems are resolved afresh, so versions may differ.")
    return Detection(
        runtime="ruby",
        version=choice.line,
        requested=requested,
        tool="bundler",
        lockfile=lock,
        build_script=rails_assets,
        reasons=reasons,
        warnings=warnings,
    )


def template(spec: Spec) -> list[str]:
    """Return the Dockerfile lines for a Ruby app: gems compiled in one stage, run in another."""
    detection = spec.detection
    image = images.RUBY[detection.version or "3.4"]
    manifests = "Gemfile Gemfile.lock" if detection.lockfile else "Gemfile"
    install = "bundle install --jobs 4"
    if detection.lockfile:  # BUNDLE_APP_CONFIG is /usr/local/bundle: the setting travels with it
        install = f"bundle config set deployment true && {install}"
    return [
        f"FROM {image} AS build",
        "RUN apt-get update && apt-get install -y --no-install-recommends build-essential "
        "&& rm -rf /var/lib/apt/lists/*",
        _BUNDLE_ENV,
        "WORKDIR /app",
        f"COPY {manifests} ./",
        f"RUN {install}",
        "COPY . .",
        *(
            ["RUN SECRET_KEY_BASE_DUMMY=1 bundle exec rails assets:precompile"]
            if detection.build_script
            else []
        ),
        "",
        f"FROM {image}",
        _BUNDLE_ENV,
        debian_user(),
        "WORKDIR /app",
        "COPY --from=build /usr/local/bundle /usr/local/bundle",
        f"COPY --from=build --chown={APP_UID}:{APP_UID} /app /app",
        *tail(spec, user=f"{APP_UID}:{APP_UID}", probe=probe(spec.health_url)),
    ]


def probe(url: str) -> list[str]:
    """Return a probe using Ruby's net/http (the slim image has neither curl nor wget)."""
    script = "exit Net::HTTP.get_response(URI(ARGV[0])).is_a?(Net::HTTPSuccess)"
    return ["ruby", "-rnet/http", "-e", script, url]
