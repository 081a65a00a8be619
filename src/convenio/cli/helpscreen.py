"""How every `--help` screen reads: plain metavars, reflowed paragraphs, commands in panels.

Typer 0.29 (requirements.lock) prints each parameter's Python type in angle brackets
beside it, flags included (`--json <bool>`, `--as-of <str>`, `file <path>`), and puts a
required argument in braces on the usage line (`{period}`): `TyperOption.display_type_rich`
and `TyperArgument._usage_display_name`. In its default "rich" markup mode it also keeps
the single line breaks of a docstring's later paragraphs and of a command's summary in
a group's list, so hard-wrapped docstrings print broken lines. Rather than a metavar on
every option of every module, the root group (`ConvenioGroup`, given to `typer.Typer(cls=)`)
walks the command tree once when Typer builds it and gives every parameter the click
convention (`--as-of TEXT`, no type for a flag, `PERIOD` and `[ACCOUNT]` on the usage
line), and every help text its paragraphs as single lines, with Rich markup escaped so
that a `[,code]` in a help is printed as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from rich.markup import escape
from typer import _click as click  # Typer 0.29 vendors click; its classes are these
from typer.core import TyperArgument, TyperGroup, TyperOption

__all__ = ["ConvenioGroup", "reflow"]

_TYPE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Decimal": "DECIMAL"}


def reflow(text: str | None) -> str | None:
    """`text` with each paragraph (blank-line separated) on one line, Rich markup escaped."""
    if text is None:
        return None
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(escape(" ".join(p.split())) for p in paragraphs)


class _Option(TyperOption):
    """An option shown as click shows it: `--as-of TEXT`, a flag without a type."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        label = self.display_type(ctx).removeprefix("<").removesuffix(">").removesuffix(" range")
        return _TYPE_NAMES.get(label, label.upper() if label.isidentifier() else label)


class _Argument(TyperArgument):
    """An argument shown by its upper-case name, `[NAME]` on the usage line if optional."""

    @property
    def display_name_raw(self) -> str:
        return (self.metavar or self.name or "").upper()

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")


def _commands(command: click.Command) -> Iterator[click.Command]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def _plain_params(params: Iterable[click.Parameter]) -> None:
    """Give each Typer parameter the plain form (once: a parameter changed is skipped)."""
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = _Option
        elif type(param) is TyperArgument:
            param.__class__ = _Argument
        else:
            continue
        param.help = reflow(param.help)


def _plain(command: click.Command) -> None:
    """Give `command`'s parameters (its help option included) and help texts the plain form."""
    command.help = reflow(command.help)
    command.short_help = reflow(command.short_help)
    help_option = command.get_help_option(click.Context(command))
    _plain_params([*command.params, *([help_option] if help_option is not None else [])])


class ConvenioGroup(TyperGroup):
    """The root `convenio` group: plain help screens for the whole tree, and its commands
    listed by panel in the order of `panels` (panel title → command names in order)."""

    panels: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in _commands(self):
            _plain(command)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        # Typer appends the completion options after building the group.
        params = super().get_params(ctx)
        _plain_params(params)
        return params

    def list_commands(self, ctx: click.Context) -> list[str]:
        rank = {name: i for i, name in enumerate(n for ns in self.panels.values() for n in ns)}
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: rank.get(name, len(rank)))
