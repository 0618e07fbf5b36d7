"""Static sites: detection (an index.html) and the unprivileged nginx template."""

from __future__ import annotations

from bot.domain.runtimes import images
from bot.domain.runtimes.model import Bundle, Detection
from bot.domain.runtimes.render import Spec, tail, wget_probe

_ROOTS = ("", "public", "dist", "build", "site", "_site", "www", "html")
NGINX_UID = "101"  # the nginx user of nginx-unprivileged
NGINX_COMMAND = ["nginx", "-g", "daemon off;"]


def detect(bundle: Bundle) -> Detection | None:
    """Detect a static site from an index.html (the shallowest usual folder), or return None."""
    for root in _ROOTS:
        index = f"{root}/index.html" if root else "index.html"
        if bundle.has(index):
            return Detection(
                runtime="static",
                version="1.30",
                tool=None,
                root=root or ".",
                reasons=[f"{index} and no application manifest → a static site served by nginx"],
            )
    return None


def template(spec: Spec) -> list[str]:
    """Return the Dockerfile lines serving the site with nginx on the app's port, as non-root.

    nginx replaces whatever served the files on the instance, so the command is nginx's own.
    """
    port = str(spec.port)
    root = spec.detection.root
    source = "." if root == "." else f"{root}/"
    listen = (
        "RUN sed -i -E "
        f"'s/listen([[:space:]]+)(\\[::\\]:)?8080;/listen\\1\\2{port};/' "
        "/etc/nginx/conf.d/default.conf"
    )
    spec = Spec(
        detection=spec.detection,
        port=spec.port,
        health_path=spec.health_path,
        argv=NGINX_COMMAND,
        environment=spec.environment,
    )
    return [
        f"FROM {images.STATIC}",
        "USER root",
        listen,
        f"USER {NGINX_UID}",
        f"COPY --chown={NGINX_UID}:{NGINX_UID} {source} /usr/share/nginx/html/",
        *tail(spec, user=NGINX_UID, probe=wget_probe(spec.health_url)),
    ]
