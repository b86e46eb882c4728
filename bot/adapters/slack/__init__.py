"""Slack: slash commands, buttons and channel posts through slack-bolt (issue #5)."""

from bot.adapters.slack.adapter import SlackAdapter
from bot.adapters.slack.sink import SlackChannelSink

__all__ = ["SlackAdapter", "SlackChannelSink"]
