"""orders: the sandbox's legacy Python app (standard library only, nothing to install).

It refuses to start without its configuration, as the real one would fail on first use.
"""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUIRED = ("ORDERS_TABLE", "RECEIPTS_BUCKET")
ORDERS = {"1001": {"id": "1001", "item": "espresso beans", "quantity": 2}}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/healthz":
            self._send(200, {"status": "ok"})
        elif path == "/":
            self._send(200, {"app": "orders", "table": os.environ["ORDERS_TABLE"]})
        elif path.startswith("/orders/") and path.removeprefix("/orders/") in ORDERS:
            self._send(200, ORDERS[path.removeprefix("/orders/")])
        else:
            self._send(404, {"error": "not found"})

    def _send(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        print(f"orders: missing environment: {', '.join(missing)}", file=sys.stderr)
        sys.exit(78)  # EX_CONFIG
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer((os.environ.get("BIND_ADDRESS", "0.0.0.0"), port), Handler)
    print(f"orders listening on {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
