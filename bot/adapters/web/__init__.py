"""The web face: today's briefing, the archive, story pages, Atom feeds and the admin page, over
HTTP (`server.py`), with the admin token (`auth.py`). Pages are gathered by `bot.core.pages` and
rendered by `bot.render.html` and `bot.render.atom`; this package only translates HTTP."""

from bot.adapters.web.server import CSP, WebFace

__all__ = ["CSP", "WebFace"]
