"""PHP: detection (composer.json, the PHP constraint) and its Dockerfile template."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.runtimes import images
from bot.domain.runtimes.model import Bundle, Detection
from bot.domain.runtimes.render import APP_UID, Spec, debian_user, tail
from bot.domain.runtimes.versions import choose

# Servers that need a web server in front (or are one): not runnable as the container's command.
_FRONTED = ("php-fpm", "apache2", "httpd", "apachectl", "nginx", "lighttpd")


def detect(bundle: Bundle) -> Detection | None:
    """Detect a PHP app from composer.json or an index.php, or return None."""
    entry = [name for name in ("index.php", "public/index.php", "artisan") if bundle.has(name)]
    if not bundle.has("composer.json") and not entry:
        return None
    composer = bundle.json("composer.json")
    platform = composer.get("config", {}).get("platform", {})
    require = composer.get("require", {})
    requested, source = None, None
    if isinstance(platform, dict) and isinstance(platform.get("php"), str):
        requested, source = platform["php"], "composer.json config.platform.php"
    elif isinstance(require, dict) and isinstance(require.get("php"), str):
        requested, source = require["php"], "composer.json require.php"
    choice = choose(requested, list(images.PHP), default="8.4", name="PHP", minor=True)
    lock = "composer.lock" if bundle.has("composer.lock") else None
    tool = "composer" if bundle.has("composer.json") else None
    warnings = [choice.warning] if choice.warning else []
    if tool and lock is None:
        warnings.append("No composer.lock: packages are resolved afresh, so versions may differ.")
    return Detection(
        runtime="php",
        version=choice.line,
        requested=requested,
        tool=tool,
        lockfile=lock,
        build_script=tool is not None,
        reasons=[
            ", ".join(["composer.json"] * (tool is not None) + entry),
            f"{source} asks for PHP {requested} → {choice.line}"
            if requested
            else f"no PHP version named → {choice.line}",
        ],
        warnings=warnings,
    )


def command_problem(argv: Sequence[str]) -> str | None:
    """Say why a PHP start command cannot be the container's command, or None."""
    name = argv[0].rsplit("/", 1)[-1] if argv else ""
    if name.startswith(_FRONTED):
        return (
            f"The app is served by {name} (PHP-FPM or a web server), which the generated "
            "image cannot run as one process; build an image with your web server and migrate "
            "with --image, or start the app with a PHP server (e.g. `php artisan serve`, "
            "`php -S 0.0.0.0:8080 -t public`) in the plan."
        )
    return None


def template(spec: Spec) -> list[str]:
    """Return the Dockerfile lines for a PHP app (Composer packages installed in a stage)."""
    detection = spec.detection
    image = images.PHP[detection.version or "8.4"]
    owner = f"--chown={APP_UID}:{APP_UID}"
    manifests = "composer.json composer.lock" if detection.lockfile else "composer.json"
    deps = [
        f"FROM {images.COMPOSER} AS build",
        "WORKDIR /app",
        f"COPY {manifests} ./",
        "RUN composer install --no-dev --no-interaction --no-scripts --no-autoloader "
        "--prefer-dist --ignore-platform-reqs",
        "COPY . .",
        "RUN composer dump-autoload --optimize --no-dev",
        "",
    ]
    built = detection.tool == "composer"
    return [
        *(deps if built else []),
        f"FROM {image}",
        debian_user(),
        "WORKDIR /app",
        f"COPY --from=build {owner} /app /app" if built else f"COPY {owner} . .",
        *tail(spec, user=f"{APP_UID}:{APP_UID}", probe=probe(spec.health_url)),
    ]


def probe(url: str) -> list[str]:
    """Return a probe using PHP's HTTP stream (the CLI image has neither curl nor wget)."""
    script = "exit(@file_get_contents(end($argv)) === false ? 1 : 0);"
    return ["php", "-r", script, url]
