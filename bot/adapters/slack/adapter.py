"""`SlackAdapter`: a bolt `AsyncApp` in Socket Mode or behind our own aiohttp server (HTTP mode).

Both modes share the handlers (`bot.adapters.slack.handlers`). `start()` checks the bot token
with auth.test first, so a wrong token fails at once with one line instead of at the first
command, then connects (Socket Mode) or listens (HTTP mode) without blocking the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.adapters.slack.handlers import register_handlers
from bot.adapters.slack.sink import SlackChannelSink
from bot.adapters.slack.web import APP_TOKEN_HINT, TOKEN_HINT, api_error, api_url, web_client
from bot.config.schema import SlackConfig
from bot.core.commands import CommandCore
from bot.errors import ChatAdapterError
from bot.net import HardenedServer, ServerBindError, ServerLimits

log = logging.getLogger(__name__)

CoreProvider = Callable[[], CommandCore]
SOCKET_CONNECT_TIMEOUT = 30.0
DEFAULT_HOST = "127.0.0.1"  # HTTP mode sits behind a reverse proxy that terminates TLS
HOST_ENV = "BRIEFBOT_SLACK_HOST"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_BAD_TOKEN = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "not_allowed_token_type",
}


class SlackAdapter:
    """Implements `bot.core.protocols.ChatAdapter` for one Slack workspace."""

    name = "slack"

    def __init__(
        self,
        bot_token: str,
        core: CommandCore | CoreProvider,
        *,
        mode: str = "socket",
        app_token: str | None = None,
        signing_secret: str | None = None,
        host: str = DEFAULT_HOST,
        port: int = 3000,
        path: str = "/slack/events",
        limits: ServerLimits | None = None,
    ) -> None:
        if not bot_token.strip():
            raise ChatAdapterError("slack.bot_token is empty: set SLACK_BOT_TOKEN to the xoxb-… token")
        if mode == "socket" and not (app_token or "").strip():
            raise ChatAdapterError("Slack Socket Mode needs slack.app_token: set SLACK_APP_TOKEN (xapp-…)")
        if mode == "http" and not (signing_secret or "").strip():
            raise ChatAdapterError("Slack HTTP mode needs slack.signing_secret: set SLACK_SIGNING_SECRET")
        if mode not in ("socket", "http"):
            raise ChatAdapterError(f"slack.mode must be socket or http, not {mode!r}")
        self._core_provider: CoreProvider = (lambda: core) if isinstance(core, CommandCore) else core
        self._core: CommandCore | None = None
        self.mode = mode
        self.host = host
        self.port = port
        self.limits = limits
        self.path = path if path.startswith("/") else "/" + path
        self._app_token = (app_token or "").strip()
        self.client = web_client(bot_token.strip())
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=(signing_secret or "").strip(),
            name="briefbot",
            request_verification_enabled=mode == "http",
            logger=logging.getLogger("briefbot.slack.bolt"),
        )
        register_handlers(self.bolt, lambda: self.core)
        self._socket: AsyncSocketModeHandler | None = None
        self._server: HardenedServer | None = None
        self.bot_user_id: str | None = None

    @classmethod
    def from_config(
        cls,
        config: SlackConfig,
        core: CommandCore | CoreProvider,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> SlackAdapter:
        """`host`/`port` override the config's (tests); the host is otherwise `slack.host`, else
        $BRIEFBOT_SLACK_HOST (the container image sets 0.0.0.0), else 127.0.0.1."""

        def secret(value: object) -> str | None:
            return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]

        return cls(
            config.bot_token.get_secret_value(),
            core,
            mode=config.mode,
            app_token=secret(config.app_token),
            signing_secret=secret(config.signing_secret),
            host=host or config.host or os.environ.get(HOST_ENV, "").strip() or DEFAULT_HOST,
            port=config.port if port is None else port,
            path=config.path,
        )

    @property
    def core(self) -> CommandCore:
        if self._core is None:
            self._core = self._core_provider()
        return self._core

    @property
    def address(self) -> tuple[str, int] | None:
        """(host, port) the HTTP mode server listens on, once started."""
        return self._server.address if self._server is not None else None

    async def open_for_posting(self) -> None:
        """Check the bot token only: enough for a worker to post with chat.postMessage (no socket)."""
        await self.check_token()

    async def start(self) -> None:
        if self._core is None:
            self._core = await asyncio.to_thread(self._core_provider)
        await self.check_token()
        if self.mode == "socket":
            await self._start_socket_mode()
        else:
            await self._start_http()

    async def check_token(self) -> None:
        """auth.test: the bot token works, and against which workspace."""
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            code = api_error(exc)
            if code in _BAD_TOKEN:
                raise ChatAdapterError(f"Slack rejected the bot token ({code}): {TOKEN_HINT}") from None
            raise ChatAdapterError(f"Slack auth.test failed: {code}") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ChatAdapterError(f"cannot reach Slack at {api_url()}: {type(exc).__name__}") from None
        self.bot_user_id = auth.get("user_id")
        log.info("Slack: connected to workspace %s as %s", auth.get("team"), auth.get("user"))

    async def _start_socket_mode(self) -> None:
        # slack_sdk's Socket Mode client retries a refused connection forever, so the app token is
        # checked here first; the WebSocket URL this returns is then the one the client uses.
        try:
            opened = await self.client.apps_connections_open(app_token=self._app_token)
        except SlackApiError as exc:
            code = api_error(exc)
            hint = APP_TOKEN_HINT if code in _BAD_TOKEN else "is Socket Mode enabled for the app?"
            raise ChatAdapterError(f"Slack refused the Socket Mode connection ({code}): {hint}") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ChatAdapterError(f"cannot reach Slack at {api_url()}: {type(exc).__name__}") from None
        self._socket = AsyncSocketModeHandler(self.bolt, self._app_token)
        self._socket.client.wss_uri = str(opened["url"])
        try:
            await asyncio.wait_for(self._socket.connect_async(), SOCKET_CONNECT_TIMEOUT)
        except TimeoutError:
            await self.close()
            raise ChatAdapterError(
                f"the Slack Socket Mode connection did not open within "
                f"{SOCKET_CONNECT_TIMEOUT:.0f} s; check the network"
            ) from None
        log.info("Slack: Socket Mode connected")

    async def _start_http(self) -> None:
        async def events(request: web.Request) -> web.Response:
            if not _TIMESTAMP.fullmatch(request.headers.get("X-Slack-Request-Timestamp", "")):
                # bolt would int() it and answer 500 with a traceback; a bad timestamp is a bad signature
                return web.json_response({"error": "invalid request"}, status=401)
            return await to_aiohttp_response(await self.bolt.async_dispatch(await to_bolt_request(request)))

        server = HardenedServer(self.host, self.port, limits=self.limits, name="Slack events")
        server.app.router.add_post(self.path, events)
        try:
            await server.start()
        except ServerBindError as exc:
            await self.close()
            raise ChatAdapterError(
                f"cannot listen on {exc.where} for Slack events ({exc.reason}); "
                "change slack.host or slack.port, or stop what uses it"
            ) from None
        self._server = server
        shown = f"[{self.host}]" if ":" in self.host else self.host
        log.info(
            "Slack: listening for events on http://%s:%s%s (at most %d connections)",
            shown,
            server.port,
            self.path,
            server.connection_cap,
        )

    async def close(self) -> None:
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close_async()
        server, self._server = self._server, None
        if server is not None:
            await server.close()

    def sink(self, channel_id: str) -> SlackChannelSink:
        return SlackChannelSink(self.client, channel_id)
