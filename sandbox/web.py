"""The interactive sandbox: the channel as a web page where a person types and clicks.

``migrate-bot sandbox --interactive`` serves one page on 127.0.0.1: the channel as
Slack would show it (status cards, threads, ephemeral answers), a box for
``/migrate …`` and the buttons each card offers. A background thread keeps the
local Lambda runtime delivering events, so the thread moves on by itself.
"""

from __future__ import annotations

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from sandbox.harness import CHANNEL, ButtonNotOfferedError, Sandbox
from sandbox.slack_standin import PEOPLE

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>#platform-migrations</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}pre{background:#f6f6f6;padding:1em;
white-space:pre-wrap}button{margin:.2em}#answer{color:#555}</style></head><body>
<h2>#platform-migrations <small>(local sandbox)</small></h2>
<p>You are <select id="who">__PEOPLE__</select> (the Slack stand-in's people; approvers are
the S0APPROVERS group)</p>
<form id="cmd"><code>/migrate</code> <input id="text" size="40" value="secure-blog" autofocus>
<button>Send</button></form><p id="answer"></p><div id="buttons"></div><pre id="channel"></pre>
<script>
async function post(path, body){const r=await fetch(path,{method:'POST',body:new URLSearchParams(body)});
 const j=await r.json(); document.getElementById('answer').textContent=j.answer||''; refresh();}
document.getElementById('cmd').onsubmit=e=>{e.preventDefault();
 post('/command',{text:document.getElementById('text').value,user:document.getElementById('who').value});};
async function refresh(){const j=await (await fetch('/state')).json();
 document.getElementById('channel').textContent=j.channel;
 const b=document.getElementById('buttons'); b.innerHTML='';
 for(const btn of j.buttons){const e=document.createElement('button'); e.textContent=btn.label;
  e.onclick=()=>{if(!btn.confirm||confirm(btn.confirm))post('/click',{action_id:btn.action_id,user:document.getElementById('who').value});};
  b.appendChild(e);}}
setInterval(refresh,1000); refresh();
</script></body></html>"""


def page() -> str:
    """The page, with a choice of who you are among the stand-in's people."""
    options = "".join(
        f'<option value="{html.escape(uid)}">{html.escape(person["real_name"])}</option>'
        for uid, person in PEOPLE.items()
    )
    return PAGE.replace("__PEOPLE__", options)


class InteractiveSandbox:
    """Serves the page and keeps events flowing until stopped."""

    def __init__(self, box: Sandbox, port: int = 0) -> None:
        self.box = box
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._threads = [
            threading.Thread(target=self._server.serve_forever, daemon=True),
            threading.Thread(target=self._pump, daemon=True),
        ]

    @property
    def url(self) -> str:
        """Where the page is served."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> str:
        """Start serving and delivering; return the page's URL."""
        for thread in self._threads:
            thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and delivering."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def state(self) -> dict[str, Any]:
        """The channel as text and the newest card's buttons."""
        with self.lock:
            try:
                channel = self.box.slack.render_channel(CHANNEL)
                buttons = self.box.buttons()
            except (KeyError, ButtonNotOfferedError):
                channel, buttons = "(nothing yet — type a command)", {}
        return {
            "channel": channel,
            "buttons": [
                {
                    "action_id": action_id,
                    "label": button["text"]["text"],
                    "confirm": button.get("confirm", {}).get("title", {}).get("text"),
                }
                for action_id, button in buttons.items()
            ],
        }

    def command(self, text: str, user: str) -> str:
        """Send ``/migrate text`` as ``user``; return the ephemeral answer."""
        with self.lock:
            return str(self.box.slash(text, user=user)["json"].get("text", ""))

    def click(self, action_id: str, user: str) -> str:
        """Click a button on the newest card; return any ephemeral answer."""
        with self.lock:
            try:
                self.box.click(action_id, user=user)
            except ButtonNotOfferedError as error:
                return str(error)
            return self.box.clicks[-1].answer or ""

    def _pump(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                self.box.settle()
            time.sleep(0.2)


def _handler_for(app: InteractiveSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return

        def _send(self, status: int, body: str, kind: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            if self.path == "/":
                self._send(200, page(), "text/html; charset=utf-8")
            elif self.path == "/state":
                self._send(200, json.dumps(app.state()), "application/json")
            else:
                self._send(404, "not found", "text/plain")

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            user = form.get("user", "U0ALICE")
            if self.path == "/command":
                answer = app.command(form.get("text", ""), user)
            elif self.path == "/click":
                answer = app.click(form.get("action_id", ""), user)
            else:
                self._send(404, "not found", "text/plain")
                return
            self._send(200, json.dumps({"answer": html.unescape(answer)}), "application/json")

    return Handler
