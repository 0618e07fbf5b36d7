"""The interactive sandbox: the channel as a web page where a person types and clicks.

``migrate-bot sandbox --interactive`` serves one page on 127.0.0.1: the channel drawn
as Slack draws it (``sandbox/slack_html.py``: status cards with their buttons and confirm
dialogs, threads, ephemeral answers for the person chosen in "You are") and a box for
``/migrate …``. A modal the bot opened for that person (``views.open``, the plan's Edit) is
shown over the channel; Submit sends the signed ``view_submission`` through the Slack
stand-in, which keeps the modal open with the app's errors under the fields or closes it.
``/state`` answers the channel as text and as that HTML, and the person's modal. A background
thread keeps the local Lambda runtime delivering events, so the thread moves on by itself.
"""

from __future__ import annotations

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.harness import CHANNEL, SIGNING_SECRET, ButtonNotOfferedError, Sandbox
from sandbox.lambda_runtime import LocalContext
from sandbox.slack_html import render_channel, render_modal
from sandbox.slack_render import BOT_USER_ID, Channel
from sandbox.slack_standin import PEOPLE

#: Slack's look, near enough to read a card as a person would: Lato-like sans, #1d1c1d text,
#: green primary and red danger buttons, grey context, blue mentions (Slack's client styles).
STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.46668 Lato,"Helvetica Neue",Helvetica,Arial,sans-serif;color:#1d1c1d;
 background:#fff;display:flex;flex-direction:column;height:100vh}
.sk-top{display:flex;align-items:center;gap:1em;padding:10px 20px;border-bottom:1px solid #ddd}
.sk-top h1{font-size:18px;font-weight:900;margin:0}.sk-top small{color:#616061;font-weight:400}
.sk-top label{margin-left:auto;color:#616061;font-size:13px}
#channel{flex:1;overflow-y:auto;padding:8px 0}
.sk-conversation{border-bottom:1px solid #f0f0f0;padding:4px 0}
.sk-message{display:grid;grid-template-columns:36px 1fr;column-gap:8px;padding:8px 20px}
.sk-message:hover{background:#f8f8f8}
.sk-avatar{width:36px;height:36px;border-radius:6px;background:#4a154b;color:#fff;
 font-weight:900;display:flex;align-items:center;justify-content:center}
.sk-meta{display:flex;align-items:baseline;gap:6px}
.sk-sender{font-weight:900}.sk-meta time{color:#616061;font-size:12px}
.sk-app{background:#e8e8e8;color:#616061;font-size:10px;font-weight:700;padding:0 3px;border-radius:2px}
.sk-ephemeral-note{grid-column:1/3;color:#616061;font-size:13px;margin-bottom:2px}
.sk-edited{color:#616061;font-size:13px}
.sk-deleted{display:block;color:#616061;font-style:italic;padding-left:64px}
.sk-header{font-size:18px;font-weight:900;margin:4px 0 8px}
.sk-section{display:flex;gap:12px;margin:4px 0 8px}.sk-main{flex:1;min-width:0}
.sk-fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:4px}
.sk-field,.sk-text{overflow-wrap:anywhere}
.sk-context{display:flex;flex-wrap:wrap;gap:4px 12px;color:#616061;font-size:12px;margin:4px 0}
.sk-context code{font-size:11px}
.sk-divider{border:0;border-top:1px solid #ddd;margin:8px 0}
.sk-actions{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.sk-btn{font:700 15px Lato,"Helvetica Neue",Helvetica,Arial,sans-serif;height:36px;padding:0 12px;
 border:1px solid rgba(29,28,29,.3);border-radius:4px;background:#fff;color:#1d1c1d;cursor:pointer;
 text-decoration:none;display:inline-flex;align-items:center}
.sk-btn:hover{background:#f8f8f8;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.sk-primary{background:#007a5a;border-color:#007a5a;color:#fff}.sk-primary:hover{background:#148567}
.sk-danger{background:#e01e5a;border-color:#e01e5a;color:#fff}.sk-danger:hover{background:#e23067}
.sk-select{border:1px solid rgba(29,28,29,.3);border-radius:4px;padding:6px 10px;color:#616061}
code{font:12px Monaco,Menlo,Consolas,"Courier New",monospace;color:#e01e5a;background:#f8f8f8;
 border:1px solid #e8e8e8;border-radius:3px;padding:1px 3px}
pre{font:12px/1.5 Monaco,Menlo,Consolas,monospace;background:#f8f8f8;border:1px solid #e8e8e8;
 border-radius:4px;padding:8px;white-space:pre-wrap;margin:4px 0}
blockquote{border-left:4px solid #ddd;margin:4px 0;padding-left:12px}
a{color:#1264a3;text-decoration:none}a:hover{text-decoration:underline}
.mention{color:#1264a3;background:rgba(29,155,209,.1);border-radius:3px;padding:0 2px}
.mention.broadcast{color:#1d1c1d;background:rgba(242,199,68,.4)}
.mention.channel{background:none}
.sk-thread{margin-left:64px;border-left:2px solid #e8e8e8;margin-bottom:8px}
.sk-thread .sk-message{padding-left:12px}
.sk-thread-count{color:#1264a3;font-weight:700;font-size:13px;padding:2px 12px}
.sk-ephemeral{background:#f8f8f8}
.sk-file{display:flex;gap:10px;align-items:center;border:1px solid #ddd;border-radius:8px;
 padding:10px;max-width:420px;margin:6px 0}
.sk-file-icon{width:36px;height:36px;border-radius:4px;background:#1264a3;color:#fff;font-size:10px;
 font-weight:900;display:flex;align-items:center;justify-content:center}
.sk-file-title{font-weight:700}.sk-file-kind{color:#616061;font-size:13px}
dialog.sk-confirm{border:0;border-radius:8px;box-shadow:0 18px 48px rgba(0,0,0,.35);
 width:min(520px,90vw);padding:20px 28px}
dialog.sk-confirm::backdrop{background:rgba(0,0,0,.6)}
dialog.sk-confirm h3{font-size:22px;font-weight:900;margin:0 0 16px}
.sk-confirm-buttons{display:flex;justify-content:flex-end;gap:12px;margin-top:24px}
.sk-composer{border-top:1px solid #ddd;padding:12px 20px}
.sk-composer form{display:flex;gap:8px;align-items:center;border:1px solid rgba(29,28,29,.3);
 border-radius:8px;padding:6px 10px}
.sk-composer input{flex:1;border:0;font:15px Lato,Helvetica,Arial,sans-serif;outline:none}
.sk-reply{display:flex;gap:8px;margin:8px 0 4px 48px}
.sk-reply input{flex:1;font:14px Lato,Helvetica,Arial,sans-serif;padding:6px 10px;
 border:1px solid rgba(29,28,29,.3);border-radius:8px}
#answer{color:#616061;font-size:13px;margin:6px 0 0;white-space:pre-wrap}
.sk-empty{color:#616061;padding:20px}
dialog.sk-modal{border:0;border-radius:8px;box-shadow:0 18px 48px rgba(0,0,0,.35);padding:0;
 width:min(520px,92vw)}
dialog.sk-modal::backdrop{background:rgba(0,0,0,.6)}
.sk-modal-title{font-size:22px;font-weight:900;margin:0;padding:18px 28px;border-bottom:1px solid #ddd}
.sk-modal-body{padding:16px 28px}
.sk-modal .sk-confirm-buttons{margin:0;padding:14px 28px;border-top:1px solid #ddd}
.sk-input{display:block;margin:14px 0}
.sk-input-label{display:block;font-weight:700;margin-bottom:6px}
.sk-optional{font-weight:400;color:#616061}
.sk-input input{width:100%;font:15px Lato,Helvetica,Arial,sans-serif;padding:8px 10px;
 border:1px solid rgba(29,28,29,.3);border-radius:4px}
.sk-invalid input{border-color:#e01e5a;box-shadow:0 0 0 1px #e01e5a}
.sk-input-error{color:#e01e5a;font-size:13px;margin-top:4px}
.sk-input-hint{color:#616061;font-size:13px;margin-top:4px}
"""

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>#platform-migrations</title>
<style>__STYLE__</style></head><body>
<header class="sk-top"><h1># platform-migrations <small>(local sandbox)</small></h1>
<label>You are <select id="who">__PEOPLE__</select> (approvers are the S0APPROVERS group)</label>
</header>
<main id="channel"></main>
<footer class="sk-composer"><form id="cmd"><code>/migrate</code>
<input id="text" value="secure-blog" autofocus><button class="sk-btn sk-primary">Send</button></form>
<p id="answer"></p></footer>
<div id="modal"></div>
<script>
const who=()=>document.getElementById('who').value;
const channel=document.getElementById('channel');
let shown='';
async function post(path, body){const r=await fetch(path,{method:'POST',body:new URLSearchParams(body)});
 const j=await r.json(); document.getElementById('answer').textContent=j.answer||''; refresh();}
document.getElementById('cmd').onsubmit=e=>{e.preventDefault();
 post('/command',{text:document.getElementById('text').value,user:who()});};
channel.addEventListener('click',e=>{const b=e.target.closest('button[data-action-id]'); if(!b)return;
 const send=()=>post('/click',{action_id:b.dataset.actionId,ts:b.dataset.ts,user:who()});
 const dialog=b.parentElement.querySelector('dialog');
 if(!dialog){send();return;}
 dialog.returnValue=''; dialog.onclose=()=>{if(dialog.returnValue==='confirm')send();}; dialog.showModal();});
channel.addEventListener('submit',e=>{const f=e.target.closest('form.sk-reply'); if(!f)return;
 e.preventDefault(); post('/reply',{thread:f.dataset.thread,text:f.elements.reply.value,user:who()});});
const modal=document.getElementById('modal');
let shownModal='';
modal.addEventListener('submit',e=>{e.preventDefault(); const data={user:who()};
 for(const i of e.target.querySelectorAll('input[name]')) data['v:'+i.name]=i.value;
 post('/submit_view',data);});
modal.addEventListener('click',e=>{if(e.target.closest('button[value=close]'))post('/close_view',{user:who()});});
modal.addEventListener('cancel',e=>{e.preventDefault(); post('/close_view',{user:who()});},true);
function showModal(html){if(html===shownModal)return; modal.innerHTML=html; shownModal=html;
 const d=modal.querySelector('dialog'); if(d)d.showModal();}
async function refresh(){if(document.querySelector('dialog.sk-confirm[open]'))return;
 const j=await (await fetch('/state?viewer='+encodeURIComponent(who()))).json();
 showModal(j.modal||'');
 if(j.html===shown)return;
 const atEnd=channel.scrollHeight-channel.scrollTop-channel.clientHeight<60;
 channel.innerHTML=j.html; shown=j.html; if(atEnd)channel.scrollTop=channel.scrollHeight;}
document.getElementById('who').onchange=refresh;
setInterval(refresh,1000); refresh();
</script></body></html>"""


EMPTY = '<p class="sk-empty">Nothing yet — type a command.</p>'


def page() -> str:
    """The page, with a choice of who you are among the stand-in's people."""
    options = "".join(
        f'<option value="{html.escape(uid)}">{html.escape(person["real_name"])}</option>'
        for uid, person in PEOPLE.items()
    )
    return PAGE.replace("__STYLE__", STYLE).replace("__PEOPLE__", options)


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

    def state(self, viewer: str = "U0ALICE") -> dict[str, Any]:
        """The channel as text, as HTML the way ``viewer`` sees it, and the newest card's buttons."""
        with self.lock:
            try:
                view = self.box.slack.channel(CHANNEL)
            except KeyError:
                view = None
            try:
                channel = self.box.slack.render_channel(CHANNEL)
                buttons = self.box.buttons()
            except (KeyError, ButtonNotOfferedError):
                channel, buttons = "(nothing yet — type a command)", {}
            page_html = self._channel_html(view, viewer) if view else EMPTY
            modal = self.box.slack.open_modal(viewer)
            slack = self.box.slack
            modal_html = (
                render_modal(modal.view, modal.errors, viewer, slack.people, slack.groups)
                if modal is not None
                else ""
            )
        return {
            "channel": channel,
            "html": page_html,
            "modal": modal_html,
            "buttons": [
                {
                    "action_id": action_id,
                    "label": button["text"]["text"],
                    "confirm": button.get("confirm", {}).get("title", {}).get("text"),
                }
                for action_id, button in buttons.items()
            ],
        }

    def _channel_html(self, view: Channel, viewer: str) -> str:
        # Sandbox.click clicks the newest card's buttons (it cannot name a message ts), so
        # buttons are drawn on the newest card only; older cards show no actions.
        newest = view.messages[-1].ts if view.messages else None
        return render_channel(
            view,
            viewer,
            self.box.slack.people,
            self.box.slack.groups,
            clickable=lambda message: message.ts == newest,
            # Each card's thread takes replies, as Slack's thread pane does.
            replyable=lambda message: message.user == BOT_USER_ID and bool(message.blocks),
        )

    def command(self, text: str, user: str) -> str:
        """Send ``/migrate text`` as ``user``; return the ephemeral answer."""
        with self.lock:
            return str(self.box.slash(text, user=user)["json"].get("text", ""))

    def click(self, action_id: str, user: str, ts: str | None = None) -> str:
        """Click a button on the newest card (``ts``, if given, must be it); return any answer."""
        with self.lock:
            try:
                if ts and ts != self.box.card()["ts"]:
                    return (
                        "That card is no longer the newest; click the buttons on the newest card."
                    )
                self.box.click(action_id, user=user)
            except ButtonNotOfferedError as error:
                return str(error)
            return self.box.clicks[-1].answer or ""

    def reply(self, thread_ts: str, text: str, user: str) -> str:
        """``user`` replies ``text`` in the thread ``thread_ts`` (``@migrate-bot …`` reaches
        the app as an ``app_mention``); what the page should say, if anything."""
        if not text.strip():
            return "Type a message first."
        with self.lock:
            try:
                self.box.post(text, user, thread_ts=thread_ts)
            except KeyError:
                return "That thread is gone."
        return ""

    def submit_view(self, user: str, values: dict[str, str]) -> str:
        """``user`` presses Submit on their modal with ``values`` (by block id); return what
        Slack showed besides the modal (its trouble notice), if anything."""
        with self.lock:
            if self.box.slack.open_modal(user) is None:
                return "No form is open for you."
            done = self.box.slack.submit_view(
                user, values, send=_ingress, signing_secret=SIGNING_SECRET
            )
        if done.trouble and not done.errors:
            return f"Slack could not submit the form: {done.trouble}."
        return ""

    def close_view(self, user: str) -> str:
        """``user`` presses Cancel on their modal."""
        with self.lock:
            self.box.slack.close_modal(user)
        return ""

    def _pump(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                self.box.settle()
            time.sleep(0.2)


def _ingress(event: dict[str, Any]) -> dict[str, Any]:
    """Deliver a signed request to the ingress Lambda as API Gateway does."""
    from handlers import slack_ingress

    context = LocalContext(function_name="SlackIngressFunction")
    return slack_ingress.handler(event, context)  # type: ignore[arg-type]


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
            url = urlsplit(self.path)
            if url.path == "/":
                self._send(200, page(), "text/html; charset=utf-8")
            elif url.path == "/state":
                viewer = parse_qs(url.query).get("viewer", ["U0ALICE"])[0]
                self._send(200, json.dumps(app.state(viewer)), "application/json")
            else:
                self._send(404, "not found", "text/plain")

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            user = form.get("user", "U0ALICE")
            if self.path == "/command":
                answer = app.command(form.get("text", ""), user)
            elif self.path == "/click":
                answer = app.click(form.get("action_id", ""), user, form.get("ts"))
            elif self.path == "/reply":
                answer = app.reply(form.get("thread", ""), form.get("text", ""), user)
            elif self.path == "/submit_view":
                typed = {k[2:]: v for k, v in form.items() if k.startswith("v:")}
                answer = app.submit_view(user, typed)
            elif self.path == "/close_view":
                answer = app.close_view(user)
            else:
                self._send(404, "not found", "text/plain")
                return
            self._send(200, json.dumps({"answer": html.unescape(answer)}), "application/json")

    return Handler
