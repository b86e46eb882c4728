"""Slash commands and button clicks on a bolt `AsyncApp`: ack at once, ask the core, respond.

Slack wants an acknowledgement within 3 s; a briefing may take longer, so each handler acks
empty first and answers through the request's `response_url`. Briefings are posted in the
channel; errors and the personal answers the core marks ephemeral are visible only to the asker;
a button click (More · n, Sources · n) answers only the person who clicked. The commands, who may
run them and the buttons all come from the core's declarations (`COMMAND_SPECS`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.web import is_workspace_admin
from bot.core.commands import COMMAND_SPECS, STORY_BUTTONS, CommandCore, Invocation
from bot.core.replies import Reply
from bot.render.slack import render_slack

log = logging.getLogger(__name__)

RESPONSE_URL_USES = 5  # Slack accepts at most five messages per response_url
_NAMES = "|".join(c.name for c in COMMAND_SPECS)
# /brief, or /briefbot-brief when a workspace already has a /brief from another app
COMMAND = re.compile(rf"^/(?:briefbot[-_])?(?P<name>{_NAMES})$")
_MANAGE = frozenset(c.name for c in COMMAND_SPECS if c.needs_manage_channel)
ACTIONS = {f"briefbot_{c.name}": c.name for c in STORY_BUTTONS}  # action_id → command


def register_handlers(app: AsyncApp, core: Callable[[], CommandCore]) -> None:
    """Every command of `COMMAND_SPECS` and every story button."""

    async def on_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        match = COMMAND.match(str(command.get("command", "")))
        name = match["name"] if match else str(command.get("command", ""))
        user_id = str(command.get("user_id", ""))
        can_manage = name in _MANAGE and await is_workspace_admin(client, user_id)
        inv = core().parse_text(
            f"/{name} {slack_unescape(str(command.get('text') or ''))}",
            user_id=user_id,
            channel_id=str(command.get("channel_id", "")),
            workspace_id=command.get("team_id"),
            platform="slack",
            can_manage_channel=can_manage,
        )
        reply = await core().handle(inv)
        await send_reply(respond, reply, ephemeral=reply.ephemeral)

    async def on_story_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        inv = Invocation(
            name=ACTIONS.get(str(action.get("action_id")), "help"),
            args={"story": str(action.get("value", ""))},
            user_id=str((body.get("user") or {}).get("id", "")),
            channel_id=str((body.get("channel") or {}).get("id", "")),
            workspace_id=(body.get("team") or {}).get("id"),
            platform="slack",
        )
        reply = await core().handle(inv)
        await send_reply(respond, reply, ephemeral=True)

    app.command(COMMAND)(on_command)
    for action_id in ACTIONS:
        app.action(action_id)(on_story_button)


def slack_unescape(text: str) -> str:
    """Slack sends `&`, `<` and `>` in command text as HTML entities; the core wants what was typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def send_reply(respond: AsyncRespond, reply: Reply, *, ephemeral: bool) -> None:
    """Each rendered message through the response_url; never replaces the message a button sat on."""
    messages = render_slack(reply)
    if len(messages) > RESPONSE_URL_USES:
        log.warning(
            "Slack: a %s answer has %d messages; only %d can be sent",
            reply.kind,
            len(messages),
            RESPONSE_URL_USES,
        )
    for i, message in enumerate(messages[:RESPONSE_URL_USES], 1):
        try:
            response = await respond(
                text=message["text"],
                blocks=message["blocks"],
                response_type="ephemeral" if ephemeral else "in_channel",
                replace_original=False,
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:  # a network failure: nothing more can reach the user
            log.error(
                "Slack: could not send message %d of %d to the response_url: %s: %s",
                i,
                len(messages),
                type(exc).__name__,
                exc,
            )
            return
        if response.status_code != 200:
            log.error(
                "Slack refused message %d of %d of a %s answer: HTTP %d %s",
                i,
                len(messages),
                reply.kind,
                response.status_code,
                (response.body or "")[:200],
            )
            return
