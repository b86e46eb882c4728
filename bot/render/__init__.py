"""Pure renderers of one `Briefing`: plain text / markdown, Discord payloads, Slack Block Kit."""
