"""The interactive sandbox page: a person types /migrate and clicks the card's buttons.

The page draws the channel as Slack does (``sandbox/slack_html.py``): these tests read the
HTML it serves, and one drives it in Debian's chromium through Playwright when both are there.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from moto import mock_aws

from sandbox.harness import CHANNEL, Sandbox
from sandbox.slack_html import mrkdwn_to_html, render_channel
from sandbox.slack_render import Channel, Message
from sandbox.slack_standin import GROUPS, PEOPLE
from sandbox.web import InteractiveSandbox


@pytest.fixture
def page() -> Iterator[InteractiveSandbox]:
    with mock_aws(), Sandbox() as box:
        web = InteractiveSandbox(box)
        web.start()
        yield web
        web.stop()


def get(page: InteractiveSandbox, path: str) -> str:
    with urllib.request.urlopen(page.url + path.lstrip("/"), timeout=10) as response:
        return str(response.read().decode())


def post(page: InteractiveSandbox, path: str, **form: str) -> dict[str, Any]:
    request = urllib.request.Request(
        page.url + path.lstrip("/"), data=urlencode(form).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def wait_for_button(page: InteractiveSandbox, action_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = json.loads(get(page, "/state"))
        if any(b["action_id"] == action_id for b in state["buttons"]):
            return dict(state)
        time.sleep(0.1)
    raise AssertionError(f"{action_id} was never offered")


def test_a_person_migrates_from_the_page(page: InteractiveSandbox) -> None:
    assert "/migrate" in get(page, "/")
    assert '<option value="U0GUEST">Gail (guest)</option>' in get(page, "/")
    answer = post(page, "/command", text="secure-blog", user="U0ALICE")["answer"]
    assert "started" in answer
    state = wait_for_button(page, "approve_plan")
    assert "Plan ready for approval" in state["channel"]
    refused = post(page, "/click", action_id="approve_plan", user="U0ALICE")["answer"]
    assert "two-person rule" in refused  # the requester cannot approve their own plan
    post(page, "/click", action_id="approve_plan", user="U0BOB")
    state = wait_for_button(page, "cutover_100")
    assert {b["action_id"]: b["confirm"] for b in state["buttons"]}["rollback"] == (
        "Roll back to EC2?"
    )
    guest = post(page, "/click", action_id="cutover_100", user="U0GUEST")["answer"]
    assert "a multi-channel guest" in guest
    post(page, "/click", action_id="cutover_100", user="U0BOB")
    deadline = time.monotonic() + 20
    while "Cut over — 100% on ECS" not in json.loads(get(page, "/state"))["channel"]:
        assert time.monotonic() < deadline, "the cutover never completed"
        time.sleep(0.1)


def test_bad_input_is_answered_on_the_page(page: InteractiveSandbox) -> None:
    answer = post(page, "/command", text="i-xyz", user="U0ALICE")["answer"]
    assert "not a valid EC2 instance id" in answer
    assert post(page, "/click", action_id="approve_plan", user="U0ALICE")["answer"].startswith(
        "no status card"
    )


# --- the channel drawn as Slack draws it ------------------------------------------------


class Node:
    """One element of a parsed page: tag, attributes, children (nodes and text)."""

    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[Node | str] = []

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def all(self, cls: str) -> list[Node]:
        """Every descendant with class ``cls``, in document order."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if cls in child.classes():
                    found.append(child)
                found.extend(child.all(cls))
        return found

    def buttons(self) -> dict[str, Node]:
        """The clickable buttons under this node, by action id."""
        found = {}
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == "button" and child.attrs.get("data-action-id"):
                    found[str(child.attrs["data-action-id"])] = child
                found.update(child.buttons())
        return found

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    VOID = {"br", "hr", "img", "input", "meta"}

    def __init__(self) -> None:
        super().__init__()
        self.stack = [Node("root", {})]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        while len(self.stack) > 1 and self.stack.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.stack[0]


def to_html(text: str) -> str:
    return mrkdwn_to_html(text, PEOPLE, GROUPS)


def test_mrkdwn_formatting_is_drawn_as_slack_draws_it() -> None:
    assert to_html("*Stage*\n_soon_ ~old~") == "<b>Stage</b><br><i>soon</i> <s>old</s>"
    assert to_html("a*b*c snake_case_name") == "a*b*c snake_case_name"  # markers need word edges
    assert to_html("`i-0abc *not bold*`") == "<code>i-0abc *not bold*</code>"
    assert to_html("```\nline 1\nline 2\n```") == "<pre>line 1\nline 2</pre>"
    assert to_html("&gt; quoted\nplain") == "<blockquote>quoted</blockquote>plain"


def test_mrkdwn_links_mentions_and_emoji_are_resolved() -> None:
    link = to_html("<https://example.com/a?x=1&amp;y=2|the *runbook*>")
    assert link.startswith('<a href="https://example.com/a?x=1&amp;y=2"')
    assert link.endswith(">the *runbook*</a>")
    assert "@bob</span>" in to_html("<@U0BOB>")
    assert "@U0NOBODY</span>" in to_html("<@U0NOBODY>")  # unknown users show their id
    assert "@approvers</span>" in to_html("<!subteam^S0APPROVERS>")
    assert "@platform-leads</span>" in to_html("<!subteam^S0OTHER|@platform-leads>")
    assert "#platform-migrations</span>" in to_html("<#C0PLATFORM|platform-migrations>")
    assert "@here</span>" in to_html("<!here>")
    assert to_html(":white_check_mark: :rocket: :warning: :x: :no_entry:") == "✅ 🚀 ⚠️ ❌ ⛔"
    assert to_html(":leftwards_arrow_with_hook: :twisted_rightwards_arrows:") == "↩️ 🔀"
    assert to_html(":large_green_circle: Healthy") == "🟢 Healthy"  # Slack's name for 🟢
    assert to_html(":no_such_emoji: 10:30:45") == ":no_such_emoji: 10:30:45"


def test_mrkdwn_escapes_html_but_not_slacks_entities() -> None:
    assert to_html("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert to_html('R&D say "hi" &amp; &lt;b&gt;') == "R&amp;D say &quot;hi&quot; &amp; &lt;b&gt;"
    assert to_html("<javascript:alert(1)|click>") == "&lt;javascript:alert(1)|click&gt;"
    assert to_html("`a &lt; b & c`") == "<code>a &lt; b &amp; c</code>"


def drive_to_cutover(page: InteractiveSandbox) -> None:
    """A migration planned by Alice, refused to her (ephemeral), approved by Bob, now healthy."""
    post(page, "/command", text="secure-blog", user="U0ALICE")
    wait_for_button(page, "approve_plan")
    post(page, "/click", action_id="approve_plan", user="U0ALICE")
    post(page, "/click", action_id="approve_plan", user="U0BOB")
    wait_for_button(page, "cutover_100")


def viewed_by(page: InteractiveSandbox, viewer: str) -> Node:
    return parse(json.loads(get(page, f"/state?viewer={viewer}"))["html"])


def test_the_page_draws_the_card_its_thread_and_ephemerals(page: InteractiveSandbox) -> None:
    drive_to_cutover(page)
    channel = page.box.slack.channel(CHANNEL)
    card = channel.messages[-1]
    alice = viewed_by(page, "U0ALICE")
    (conversation,) = [
        c
        for c in alice.all("sk-conversation")
        if c.all("sk-message")[0].attrs["data-ts"] == card.ts
    ]
    root = conversation.all("sk-message")[0]
    assert root.attrs["data-ts"] == card.ts
    assert "migrate-bot" in root.all("sk-sender")[0].text()
    (header,) = root.all("sk-header")
    assert header.text().startswith("Migration ")
    fields = root.all("sk-fields")[0].all("sk-field")
    assert len(fields) >= 6
    bold = {
        c.text() for f in fields for c in f.children[:1] if isinstance(c, Node) and c.tag == "b"
    }
    assert {"Stage", "Requested by", "Traffic"} <= bold  # each field opens with its *label*
    requested = next(f for f in fields if f.text().startswith("Requested by"))
    assert "@alice" in requested.text()
    assert "🟢" in fields[0].text()  # :large_green_circle: Healthy, ready for cutover
    buttons = root.all("sk-actions")[0].buttons()
    assert {"cutover_100", "rollback"} <= set(buttons)
    assert all(b.attrs["data-ts"] == card.ts for b in buttons.values())
    assert "sk-danger" in buttons["rollback"].classes()
    assert "sk-primary" in buttons["cutover_100"].classes()
    (dialog,) = [n for n in root.all("sk-confirm") if "Roll back to EC2?" in n.text()]
    assert "Roll back" in dialog.text() and "Not now" in dialog.text()
    assert "version" in root.all("sk-context")[-1].text()
    (thread,) = conversation.all("sk-thread")
    replies = [m for m in thread.all("sk-message") if "sk-ephemeral" not in m.classes()]
    assert [m.attrs["data-ts"] for m in replies] == [r.ts for r in card.replies if not r.deleted]
    assert replies and not any(m.buttons() for m in replies)

    refusals = [m for m in alice.all("sk-ephemeral") if "two-person rule" in m.text()]
    assert refusals and "Only visible to you" in refusals[0].text()
    bob = viewed_by(page, "U0BOB")
    assert "two-person rule" not in bob.text()
    assert not any("two-person rule" in m.text() for m in bob.all("sk-message"))
    assert bob.all("sk-fields")  # Bob sees the card all the same


def actions(*action_ids: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Card*"}},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": a}, "action_id": a}
                for a in action_ids
            ],
        },
    ]


def test_only_the_newest_card_offers_buttons_and_threads_hold_their_ephemerals() -> None:
    old = Message(CHANNEL, "1700000000.000100", blocks=actions("approve_plan"))
    new = Message(CHANNEL, "1700000000.000300", blocks=actions("rollback", "cutover_100"))
    old.replies = [Message(CHANNEL, "1700000000.000200", "done", thread_ts=old.ts)]
    gone = Message(CHANNEL, "1700000000.000050", "typo", deleted=True)
    hint = Message(CHANNEL, "1700000000.000250", "psst", thread_ts=old.ts, visible_to="U0BOB")
    channel = Channel(CHANNEL, "platform-migrations", [gone, old, new], ephemerals=[hint])

    def draw(viewer: str) -> Node:
        markup = render_channel(channel, viewer, PEOPLE, GROUPS, lambda m: m.ts == new.ts)
        return parse(markup)

    bob = draw("U0BOB")
    roots = [c.all("sk-message")[0] for c in bob.all("sk-conversation")]
    assert [r.attrs["data-ts"] for r in roots] == [old.ts, new.ts]  # deleted, no replies: gone
    assert not roots[0].buttons()  # the sandbox clicks the newest card's buttons only
    assert list(roots[1].buttons()) == ["rollback", "cutover_100"]
    (thread,) = bob.all("sk-thread")
    assert [m.attrs["data-ts"] for m in thread.all("sk-message")] == [old.replies[0].ts, hint.ts]
    assert "Only visible to you" in thread.all("sk-ephemeral")[0].text()
    assert "psst" not in draw("U0ALICE").text()


def test_shared_files_are_drawn_as_attachments() -> None:
    message = Message("C0PLATFORM", "1700000000.000100", text="the plan :clipboard:")
    message.files = [  # set after construction: works before and after Message had `files`
        {"id": "F0PLAN", "name": "plan.json", "title": "Plan <v1>", "filetype": "json"}
    ]
    channel = Channel("C0PLATFORM", "platform-migrations", messages=[message])
    page_html = parse(render_channel(channel, "U0ALICE", PEOPLE, GROUPS))
    (box,) = page_html.all("sk-file")
    assert box.attrs["data-file-id"] == "F0PLAN"
    assert "Plan <v1>" in box.text() and "plan.json" in box.text() and "JSON" in box.text()
    assert "📋" in page_html.all("sk-text")[0].text()


CHROMIUM = Path("/usr/bin/chromium")


def test_a_person_sees_slack_and_clicks_through_a_confirm_dialog(
    page: InteractiveSandbox,
) -> None:
    """A real browser: the page reads like Slack (screenshot in /tmp) and its buttons click."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    drive_to_cutover(page)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            tab = browser.new_page(viewport={"width": 1100, "height": 1700})
            tab.goto(page.url)
            card = tab.locator(".sk-message", has=tab.locator(".sk-header")).last
            card.locator('button[data-action-id="cutover_100"]').wait_for()
            assert card.locator(".sk-fields .sk-field").count() >= 6
            assert tab.locator(".sk-thread .sk-message").count() >= 1
            assert tab.get_by_text("Only visible to you").count() >= 1  # Alice's refusal
            tab.screenshot(path="/tmp/interactive.png")
            tab.select_option("#who", "U0BOB")
            tab.wait_for_function("!document.body.innerText.includes('two-person rule')")
            card.locator('button[data-action-id="cutover_100"]').click()
            dialog = tab.locator("dialog[open]")
            assert "Send 100% to ECS?" in dialog.inner_text()
            tab.screenshot(path="/tmp/interactive-confirm.png")
            dialog.get_by_text("Not now").click()
            assert page.box.migration().weight == 0  # denied: nothing was clicked
            card.locator('button[data-action-id="cutover_100"]').click()
            tab.locator("dialog[open]").get_by_text("Shift 100%").click()
            tab.get_by_text("Cut over — 100% on ECS").first.wait_for(timeout=20_000)
            # @migrate-bot status, replied in the card's thread: the bot answers there.
            reply = tab.locator("form.sk-reply").last
            assert reply.locator("input").input_value() == "@migrate-bot status"
            reply.get_by_text("Reply").click()
            tab.get_by_text("asked for the status of").first.wait_for(timeout=20_000)
            tab.get_by_text("Last events in this thread").first.scroll_into_view_if_needed()
            tab.screenshot(path="/tmp/interactive-status.png")
        finally:
            browser.close()


# --- the plan's Edit modal on the page ----------------------------------------------------


def modal_of(page: InteractiveSandbox, viewer: str) -> Node:
    return parse(json.loads(get(page, f"/state?viewer={viewer}"))["modal"])


def test_a_person_edits_the_plan_in_its_modal_on_the_page(page: InteractiveSandbox) -> None:
    post(page, "/command", text="secure-blog", user="U0ALICE")
    wait_for_button(page, "edit_plan")
    assert post(page, "/click", action_id="edit_plan", user="U0BOB")["answer"] == ""

    (dialog,) = modal_of(page, "U0BOB").all("sk-modal")
    assert "Edit cutover" in dialog.all("sk-modal-title")[0].text()
    fields = {
        str(n.attrs["name"]): n.attrs.get("value")
        for label in dialog.all("sk-input")
        for n in label.children
        if isinstance(n, Node) and n.tag == "input"
    }
    assert fields == {"cutover_steps": "10, 50, 100", "bake_minutes": ""}
    assert modal_of(page, "U0ALICE").all("sk-modal") == []  # the modal is Bob's alone

    post(page, "/submit_view", user="U0BOB", **{"v:cutover_steps": "25, 90", "v:bake_minutes": "5"})
    (dialog,) = modal_of(page, "U0BOB").all("sk-modal")
    (error,) = dialog.all("sk-input-error")
    assert "The last step must be 100" in error.text()
    assert 'value="25, 90"' in json.loads(get(page, "/state?viewer=U0BOB"))["modal"]  # kept

    post(
        page, "/submit_view", user="U0BOB", **{"v:cutover_steps": "25, 100", "v:bake_minutes": "5"}
    )
    assert modal_of(page, "U0BOB").all("sk-modal") == []
    assert page.box.migration().cutover_steps == (25, 100)
    deadline = time.monotonic() + 20
    while "25 % → 100 %; each step bakes 5 min" not in json.loads(get(page, "/state"))["channel"]:
        assert time.monotonic() < deadline, "the card never showed the new steps"
        time.sleep(0.1)


def test_a_person_fixes_a_mistake_in_the_edit_modal_in_a_browser(
    page: InteractiveSandbox,
) -> None:
    """A real browser: Edit opens the modal, a wrong value is shown beside its field, the
    fixed one is saved and the card shows it (screenshots in /tmp)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    post(page, "/command", text="secure-blog", user="U0ALICE")
    wait_for_button(page, "edit_plan")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            tab = browser.new_page(viewport={"width": 1100, "height": 1300})
            tab.goto(page.url)
            tab.select_option("#who", "U0BOB")
            card = tab.locator(".sk-message", has=tab.locator(".sk-header")).last
            card.locator('button[data-action-id="edit_plan"]').click()
            modal = tab.locator("dialog.sk-modal[open]")
            modal.wait_for()
            steps = modal.locator('input[name="cutover_steps"]')
            assert steps.input_value() == "10, 50, 100"
            steps.fill("25, 50, 50")
            modal.locator('input[name="bake_minutes"]').fill("5")
            modal.get_by_role("button", name="Save").click()
            error = tab.locator("dialog.sk-modal[open] .sk-input-error")
            error.wait_for()
            assert "Steps must rise: 50 comes after 50." in error.inner_text()
            assert tab.locator(
                'dialog.sk-modal[open] input[name="cutover_steps"]'
            ).input_value() == ("25, 50, 50")
            tab.screenshot(path="/tmp/interactive-edit-error.png")
            tab.locator('dialog.sk-modal[open] input[name="cutover_steps"]').fill("25, 100")
            tab.locator("dialog.sk-modal[open]").get_by_role("button", name="Save").click()
            tab.locator("dialog.sk-modal[open]").wait_for(state="detached")
            tab.get_by_text("25 % → 100 %").first.wait_for(timeout=20_000)
            tab.screenshot(path="/tmp/interactive-edit-saved.png")
        finally:
            browser.close()
    assert page.box.migration().bake_minutes == 5
