"""The Slack Web API client briefbot uses, and what its errors mean for the person running the bot."""

from __future__ import annotations

import os

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

API_URL_ENV = "SLACK_API_URL"
DEFAULT_API_URL = "https://slack.com/api/"

TOKEN_HINT = (
    "check SLACK_BOT_TOKEN: it is the Bot User OAuth Token (xoxb-…) under OAuth & Permissions, "
    "after installing the app to the workspace"
)
APP_TOKEN_HINT = (
    "check SLACK_APP_TOKEN: an app-level token (xapp-…) with the connections:write scope, "
    "under Basic Information → App-Level Tokens; Socket Mode must be on"
)


def api_url() -> str:
    """$SLACK_API_URL (a local fake in tests) or Slack's own; always ends with a slash."""
    url = os.environ.get(API_URL_ENV, "").strip() or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def web_client(token: str) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=api_url(), timeout=20)


def api_error(exc: SlackApiError) -> str:
    """Slack's error code, e.g. ``invalid_auth`` or ``not_in_channel``."""
    try:
        return str(exc.response.get("error") or "unknown_error")
    except Exception:
        return "unknown_error"


async def is_workspace_admin(client: AsyncWebClient, user_id: str) -> bool:
    """Slack has no per-channel permission on slash commands: admins and owners may manage channels.

    Needs the ``users:read`` scope; without it nobody may, and the log says why.
    """
    import logging

    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        logging.getLogger(__name__).warning(
            "Slack users.info failed (%s): /subscribe and /unsubscribe need "
            "the users:read scope to recognise workspace admins",
            api_error(exc),
        )
        return False
    user = response.get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
