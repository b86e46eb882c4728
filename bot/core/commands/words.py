"""A typed line (console, Slack's command text) → `Invocation`, derived from the declarations.

The rule, for every command: the line's words fill the options in their declared order. A text
option (text, topic, timezone) takes as many words as it can; a typed option (a number, a time,
a story, a flag) takes one word of its form. Optional typed options after the last text option
may come at the end of the line in any order (``/brief taiwan strait new 12``). A command with one
option gets every word (``/more 1 2`` is checked, and refused, as "1 2"). Nothing is checked here:
`CommandCore.handle` checks the values against the same declarations.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.commands.spec import CommandSpec, Invocation

LINE_MAX = 2000  # characters of one typed command line


def split_line(line: str) -> tuple[str, list[str]]:
    """``"/brief 'taiwan strait' 12"`` → ``("brief", ["taiwan strait", "12"])``; never raises."""
    line = line.strip()[:LINE_MAX]
    try:
        tokens = shlex.split(line)
    except ValueError:  # an unbalanced quote: take the words as they are
        tokens = line.split()
    name = tokens[0].lstrip("/").lower() if tokens else ""
    return name, tokens[1:]


def fill_options(spec: CommandSpec, words: Sequence[str]) -> dict[str, str]:
    """The words of a typed line as option values by name (see the module docstring)."""
    options = spec.options
    rest = list(words)
    if not options or not rest:
        return {}
    if len(options) == 1:
        return {options[0].name: " ".join(rest)}
    out: dict[str, str] = {}
    last_text = max((i for i, o in enumerate(options) if not o.typed), default=-1)
    tail = list(options[last_text + 1 :])
    while rest and tail:
        option = next((o for o in tail if o.matches(rest[-1])), None)
        if option is None:
            break
        out[option.name] = rest.pop()
        tail.remove(option)
    at = 0
    waiting = None  # the text option that takes the words before the next typed one
    for option in options[: last_text + 1]:
        if not option.typed:
            waiting = option
            continue
        found = next((k for k in range(at, len(rest)) if option.matches(rest[k])), None)
        if found is None and option.required and len(rest) - at > 1:
            found = len(rest) - 1  # the last word was meant as this option: its check says the form
        if found is None:
            continue
        if waiting is not None and rest[at:found]:
            out[waiting.name] = " ".join(rest[at:found])
        waiting = None
        out[option.name] = rest[found]
        at = found + 1
    if waiting is not None and rest[at:]:
        out[waiting.name] = " ".join(rest[at:])
    return out


def invocation(specs: Mapping[str, CommandSpec], line: str, context: Mapping[str, Any]) -> Invocation:
    """A typed line as an `Invocation` for the command it names (unknown names are kept as typed).

    context: user_id, channel_id, workspace_id, platform, can_manage_channel (defaults describe the
    local console).
    """
    name, words = split_line(line)
    spec = specs.get(name)
    return Invocation(
        name=name,
        args=fill_options(spec, words) if spec is not None else {},
        user_id=str(context.get("user_id", "console")),
        channel_id=str(context.get("channel_id", "console")),
        workspace_id=context.get("workspace_id"),
        platform=str(context.get("platform", "console")),
        can_manage_channel=bool(context.get("can_manage_channel", False)),
    )
