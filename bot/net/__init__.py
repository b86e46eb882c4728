"""What every HTTP server briefbot runs shares: the limits that keep one hostile client from starving
the rest (`server.py`), and a thread of its own for servers that must answer however busy the
bot's loop is (`thread.py`)."""

from bot.net.server import HardenedServer, ServerBindError, ServerLimits, ServerStats
from bot.net.thread import ServerThread

__all__ = ["HardenedServer", "ServerBindError", "ServerLimits", "ServerStats", "ServerThread"]
