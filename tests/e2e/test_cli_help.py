"""Every help screen, at 80 columns: no type placeholders (`<bool>`, `<str>`, `{period}`),
no word cut across lines, no line wider than the terminal, a help text for every
command, and the top-level commands grouped in the order of the work."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.metadata import version

import pytest
import typer
from rich.text import Text
from typer.testing import CliRunner

from convenio.cli.main import app

WIDTH = 80
BOX = str.maketrans(dict.fromkeys("│╭╮╰╯─┃━┏┓┗┛", " "))
PLACEHOLDER = re.compile(r"<[a-z][a-z ]*>|\{[a-z_]+\}")


def _commands(
    command: typer.core.TyperGroup | typer.core.TyperCommand, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], typer.core.TyperGroup | typer.core.TyperCommand]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


TREE = list(_commands(typer.main.get_command(app)))  # type: ignore[arg-type]


def _help(path: tuple[str, ...], width: int = WIDTH) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, (path, result.output)
    return result.output


def _words(markup: str | None) -> set[str]:
    """The words of a help text as printed (Rich markup, escaped or not, resolved)."""
    return set(Text.from_markup(markup or "").plain.split())


def test_the_walk_reaches_every_command() -> None:
    names = {" ".join(path) for path, _ in TREE}
    assert {"", "terms show", "ledger accounts", "orgunits list", "metadata combos",
            "parties", "data import", "cases indicators"} <= names  # fmt: skip
    assert len(TREE) > 40


@pytest.mark.parametrize("path", [p for p, _ in TREE], ids=lambda p: " ".join(p) or "convenio")
def test_help_screen_is_whole_and_plain(path: tuple[str, ...]) -> None:
    command = dict(TREE)[path]
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    out = _help(path)
    assert PLACEHOLDER.search(out) is None, (path, PLACEHOLDER.search(out), out)
    assert all(len(line) <= WIDTH for line in out.splitlines()), out
    printed = set(out.translate(BOX).split())
    expected = _words(command.help.split("\n\n")[0])
    ctx = typer.Context(command)
    for param in command.get_params(ctx):
        expected |= _words(getattr(param, "help", None))
    for sub in getattr(command, "commands", {}).values():
        assert (sub.help or "").strip(), f"{sub.name} has no help text"
        expected |= _words((sub.short_help or sub.help).split("\n\n")[0])
    cut = sorted(expected - printed)
    assert not cut, f"{' '.join(path)}: words cut or missing: {cut}\n{out}"


@pytest.mark.parametrize("path", [p for p, _ in TREE], ids=lambda p: " ".join(p) or "convenio")
def test_help_paragraphs_have_no_hard_line_breaks(path: tuple[str, ...]) -> None:
    """On a terminal wide enough, every paragraph of a help (the command's own, each
    sub-command's summary) is printed on one line: no docstring line break survives."""
    command = dict(TREE)[path]
    lines = [" ".join(line.translate(BOX).split()) for line in _help(path, 2000).splitlines()]
    paragraphs = [Text.from_markup(p).plain for p in (command.help or "").split("\n\n")]
    for sub in getattr(command, "commands", {}).values():
        summary = sub.short_help or sub.help or ""
        paragraphs.append(Text.from_markup(summary.split("\n\n")[0]).plain)
    for paragraph in paragraphs:
        flat = " ".join(paragraph.split())
        assert any(flat in line for line in lines), (path, flat)


def test_flags_show_no_type_and_arguments_their_name() -> None:
    out = _help(("settle",))
    assert "Usage: convenio settle [OPTIONS] PERIOD" in out
    assert re.search(r"│ --json +The statements as JSON", out), out
    out = _help(("ledger", "open"))
    assert "[ACCOUNT] [UNIT]" in out
    assert re.search(r"--floor +TEXT +Lowest balance", out), out


def test_commands_are_grouped_in_the_order_of_the_work() -> None:
    out = _help(())
    panels = re.findall(r"╭─ ([A-Za-z ]+?) ─", out)
    assert panels == ["Options", "Set up", "Ledger", "Financing", "Settlement", "Missions",
                      "Reports", "Trust", "Server"]  # fmt: skip
    listed = re.findall(r"^│ ([a-z][a-z-]*) ", out, flags=re.MULTILINE)
    assert listed[:4] == ["init", "terms", "parties", "demo"]
    assert listed.index("prices") < listed.index("accrue") < listed.index("settle")
    assert listed.index("orgunits") < listed.index("cases") < listed.index("analytics")
    assert listed[-4:] == ["serve", "users", "tokens", "audit"]


def test_version_is_the_installed_package() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"convenio {version('convenio')}"
