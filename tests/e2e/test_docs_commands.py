"""Every `convenio` command the documentation shows runs, and succeeds.

Which text is a command — the rule the docs are written to:

- **Fenced code blocks** of README.md and docs/*.md (docs/adr included): every line
  that starts with ``convenio `` (after indentation and an optional ``$ `` prompt) is a
  command. A line ending in ``\\`` continues on the next. Shell comments (``# …``) and
  quoting are read as ``sh`` reads them (`shlex`); a pipe ends the command (``convenio
  demo --json | jq …`` runs ``convenio demo --json``); any other shell operator is an
  error of the doc. Each is run through the CLI in-process (typer's `CliRunner`) and
  must exit 0. So a fenced line is a real, runnable command: syntax summaries
  (``[--json]``, ``A|B``, ``FILE``) belong in prose or tables.
- **Inline code** in prose (`` `convenio settle` ``, `` `convenio data import --bulk` ``)
  refers to a command without running it: each span that starts with ``convenio ``
  must name commands that exist, and each option in it (``[--json|--csv]`` is two) must
  be an option of the command named. Placeholders (``PERIOD``, ``FILE``) are fine there:
  this is how README's table of commands states their syntax.

Where the commands of a doc run: by default in doc order on one copy (per doc) of the
demo store — built once per session by `convenio demo` — so a doc's loads and
``settle … --reopen`` change only its own copy. A doc that starts from nothing says so
with the comment ``<!-- docs-test: fresh store -->`` (docs/tutorial.md): its commands
run in order on a new, empty store. Either way the working directory is a temporary
one holding a copy of ``examples/``, so the files the docs name (``examples/…``) are
there and whatever a command writes (``-o FILE``) stays out of the tree.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from convenio.cli.main import app
from tests.conftest import ConvenioEnv

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "src" / "convenio" / "examples"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FRESH = "<!-- docs-test: fresh store -->"

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE = re.compile(r"`(convenio\s[^`]*)`")
_SHELL_OPERATORS = {"&&", "||", ";", ">", ">>", "<", "&"}


@dataclass(frozen=True)
class DocCommand:
    """A command of a doc: its arguments (after ``convenio``) and where it is written."""

    args: tuple[str, ...]
    where: str  # README.md:84

    def __str__(self) -> str:
        return f"{self.where}: convenio {shlex.join(self.args)}"


def _tokens(text: str, where: str) -> tuple[str, ...]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = list(lexer)
    if "|" in words:
        words = words[: words.index("|")]
    bad = _SHELL_OPERATORS.intersection(words)
    assert not bad, f"{where}: shell operator {sorted(bad)} in a documented command"
    assert words[0] == "convenio", where
    return tuple(words[1:])


def fenced_commands(path: Path, root: Path = ROOT) -> list[DocCommand]:
    """The commands of the fenced code blocks of `path`, in order (the rule above)."""
    found: list[DocCommand] = []
    inside = False
    pending: list[str] = []
    start = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            continue
        text = line.strip()
        if not pending:
            if text.startswith("$ "):
                text = text[2:].lstrip()
            if not text.startswith("convenio "):
                continue
            start = number
        pending.append(text.removesuffix("\\"))
        if text.endswith("\\"):
            continue
        where = f"{path.relative_to(root)}:{start}"
        found.append(DocCommand(_tokens(" ".join(pending), where), where))
        pending = []
    return found


def inline_references(path: Path, root: Path = ROOT) -> list[DocCommand]:
    """The inline code spans of `path`'s prose that start with ``convenio ``."""
    prose: list[str] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            inside = not inside
            prose.append("")
            continue
        prose.append("" if inside else line)
    text = "\n".join(prose)
    found = []
    for match in _INLINE.finditer(text):
        number = text.count("\n", 0, match.start()) + 1
        where = f"{path.relative_to(root)}:{number}"
        span = " ".join(match.group(1).replace("\\|", "|").split())  # `\|` in a table
        found.append(DocCommand(tuple(shlex.split(span, comments=False)[1:]), where))
    return found


def _resolve(args: tuple[str, ...]) -> tuple[Any, list[str]]:
    """The (click) command `args` name, and the names that did not resolve (none: [])."""
    command: Any = typer.main.get_command(app)
    for word in args:
        # A group has `commands` (typer ships its own copy of click: no isinstance).
        if word.startswith("-") or not hasattr(command, "commands"):
            break
        if word not in command.commands:
            return command, [word]
        command = command.commands[word]
    return command, []


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_inline_references_name_real_commands_and_options(path: Path) -> None:
    problems = []
    for ref in inline_references(path):
        command, unknown = _resolve(ref.args)
        if unknown:
            problems.append(f"{ref}: no command {unknown[0]!r}")
            continue
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        for word in ref.args:
            # `[--json|--csv]` is two options; `--as-of=DATE` one.
            for part in word.strip("[]").split("|"):
                name = part.split("=", 1)[0]
                if name.startswith("-") and name not in options:
                    problems.append(f"{ref}: {command.name} has no option {name}")
    assert not problems, "\n".join(problems)


# -- running the fenced commands -------------------------------------------------------


def _runnable_docs() -> list[Path]:
    return [p for p in DOCS if fenced_commands(p)]


@pytest.fixture
def doc_workdir(tmp_path: Path) -> Path:
    """A working directory holding a copy of ``examples/``, as the docs' paths expect."""
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns("*.py"))
    return tmp_path


def run_doc_commands(commands: list[DocCommand], data: Path, cwd: Path) -> Iterator[str]:
    """Run `commands` in order on the store in `data`; yield a line for each that fails."""
    runner = CliRunner()
    with ConvenioEnv(data, cwd):
        for command in commands:
            result = runner.invoke(app, list(command.args))
            if result.exit_code != 0:
                said = " ".join((result.stderr or result.stdout or repr(result.exception)).split())
                yield f"{command} → exit {result.exit_code}: {said[:400]}"


@pytest.mark.parametrize("path", _runnable_docs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_documented_commands_run(path: Path, demo_store: Path, doc_workdir: Path) -> None:
    data = doc_workdir / "data"
    if FRESH not in path.read_text(encoding="utf-8"):
        shutil.copytree(demo_store, data)
    failures = list(run_doc_commands(fenced_commands(path), data, doc_workdir))
    assert not failures, "\n".join(failures)


# -- the rule itself -------------------------------------------------------------------


def test_the_extraction_rule(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "Run `convenio settle PERIOD --reopen` when\na load says so; `convenio\ndata "
        "import --bulk` too.\n\n```sh\n$ convenio init   # make it\nconvenio analytics "
        'query --dx "A;B" \\\n    --pe 2005\nconvenio demo --json | jq .x\nnot convenio\n'
        "```\n\nconvenio in prose is not a command.\n",
        encoding="utf-8",
    )
    relative = doc.relative_to(tmp_path)
    fenced = fenced_commands(doc, tmp_path)
    inline = inline_references(doc, tmp_path)
    assert [(c.args, c.where) for c in fenced] == [
        (("init",), f"{relative}:6"),
        (("analytics", "query", "--dx", "A;B", "--pe", "2005"), f"{relative}:7"),
        (("demo", "--json"), f"{relative}:9"),
    ]
    assert [c.args for c in inline] == [
        ("settle", "PERIOD", "--reopen"),
        ("data", "import", "--bulk"),
    ]
    assert _resolve(("data", "import", "--bulk"))[1] == []
    assert _resolve(("prices|deliveries", "load"))[1] == ["prices|deliveries"]
