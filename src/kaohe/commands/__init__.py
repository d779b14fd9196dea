"""CLI commands: each module exposes `command`, a click command registered by kaohe.cli."""

from __future__ import annotations

import click


def note(text: str) -> None:
    """A note about the output (why it is empty, what was left out), on stderr so machine
    output on stdout stays clean."""
    click.echo(f"注意 / note: {text}", err=True)
