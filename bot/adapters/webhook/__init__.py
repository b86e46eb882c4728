"""Posting briefings to Discord and Slack incoming webhooks (no bot token, no gateway)."""

from bot.adapters.webhook.discord_webhook import DiscordWebhookSink
from bot.adapters.webhook.poster import WebhookError
from bot.adapters.webhook.slack_webhook import SlackWebhookSink

__all__ = ["DiscordWebhookSink", "SlackWebhookSink", "WebhookError"]
