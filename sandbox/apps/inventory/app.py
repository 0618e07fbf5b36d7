"""inventory: another team's app behind the shared internal ALB (standard library only).

The sandbox runs it so that the ALB's other host rule has real traffic, which a migration of
orders must never move.
"""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        status, body = (200, {"app": "inventory"}) if path in ("/", "/status") else (404, {})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    address = (os.environ.get("BIND_ADDRESS", "0.0.0.0"), int(os.environ.get("PORT", "9000")))
    ThreadingHTTPServer(address, Handler).serve_forever()
