"""Every option of every command says what it does in `--help`: `dashboard --port`,
`dashboard --host` and `demo --port` printed only their defaults, the options a first-hour
user meets first after `moodcast demo`."""

from __future__ import annotations

import click

from moodcast.cli import main


def _options(command: click.Command, path: str):
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _options(sub, f"{path} {name}")
        return
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            yield f"{path} {param.opts[0]}", param.help


def test_every_option_of_every_command_has_help_text():
    assert [name for name, text in _options(main, "moodcast") if not text] == []
