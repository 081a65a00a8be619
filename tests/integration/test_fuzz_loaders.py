"""Fuzzing every loader through the CLI: mutated valid files never escape, never half-write.

Each loader gets a valid file that it accepts on a store holding known content, then
Hypothesis mutations of that file — byte flips, truncation, a line duplicated or deleted,
two fields swapped, a huge field, odd Unicode (a BOM, '²', Arabic-Indic digits, NUL, a
lone surrogate's bytes, right-to-left override), deep nesting — run through the real
Typer app in-process. For every mutation: the exit code is 0, 2 or 3; no exception
escapes (`result.exception` is None or `SystemExit`); and when the exit is not 0, the
store's content (a digest of every table's rows, the ledger head among them) is exactly
what it was before. Derandomized, so CI runs the same examples every time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from convenio.cli.main import app
from convenio.examples import EXAMPLES
from convenio.settings import get_settings
from tests.cases_data import EVENTS_CSV, KEY, PEOPLE_CSV
from tests.missions_data import METADATA_YAML, ORG_UNITS_CSV, TODAY, VALUES_CSV

EXAMPLES_PER_LOADER = 16
ALLOWED_EXITS = {0, 2, 3}

JOURNAL_JSON = json.dumps(
    [
        {
            "id": "fuzz-1",
            "date": "2024-02-01",
            "description": "a transfer",
            "postings": [
                {"account": "XAT/reserves/treasury", "amount": "-125.50", "unit": "USD"},
                {"account": "XBO/reserves/central-bank", "amount": 125.5, "unit": "USD"},
            ],
        }
    ],
    indent=1,
)
COOPERANTS_CSV = "id,profession,party\n" + "".join(f"c{i},doctor,CUB\n" for i in range(1, 4))
DEPLOYMENTS_CSV = (
    "id,cooperant_id,org_unit,start,end,mission\n"
    "d1,c1,CLIN-1,2011-09-01,,\n"
    "d2,c2,CLIN-1,2011-10-01,2011-10-31,\n"
    "d3,c3,CLIN-3,2011-10-01,2011-10-31,\n"
)


@dataclass(frozen=True)
class Loader:
    """A loader under fuzz: its valid file, and the command that loads a file."""

    name: str
    store: str  # "ledger" (the tutorial's agreement) or "missions"
    file: str
    content: str
    command: Callable[[str], list[str]]


def read_example(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


LOADERS = [
    Loader("accounts", "ledger", "accounts.csv", read_example("accounts.csv"),
           lambda f: ["ledger", "open", "--file", f]),
    Loader("journal-csv", "ledger", "journal.csv", read_example("journal.csv"),
           lambda f: ["ledger", "post", f]),
    Loader("journal-json", "ledger", "journal.json", JOURNAL_JSON,
           lambda f: ["ledger", "post", f]),
    Loader("terms", "ledger", "terms.yaml", read_example("tutorial.yaml"),
           lambda f: ["terms", "load", f]),
    Loader("prices", "ledger", "prices.csv", read_example("prices.csv"),
           lambda f: ["prices", "load", f]),
    Loader("deliveries", "ledger", "deliveries.csv", read_example("deliveries.csv"),
           lambda f: ["deliveries", "load", f]),
    Loader("payments", "ledger", "payments.csv", read_example("payments.csv"),
           lambda f: ["payments", "load", f]),
    Loader("orgunits", "missions", "ou.csv", ORG_UNITS_CSV,
           lambda f: ["orgunits", "load", f, "--effective", "2004-01-01"]),
    Loader("metadata", "missions", "meta.yaml", METADATA_YAML,
           lambda f: ["metadata", "load", f]),
    Loader("values-csv", "missions", "values.csv", VALUES_CSV,
           lambda f: ["data", "import", f, "--today", TODAY]),
    Loader("values-json", "missions", "values.json", "",  # the store's own export
           lambda f: ["data", "import", f, "--today", TODAY]),
    Loader("cooperants", "missions", "coop.csv", COOPERANTS_CSV,
           lambda f: ["cooperants", "load", f]),
    Loader("deployments", "missions", "dep.csv", DEPLOYMENTS_CSV,
           lambda f: ["deployments", "load", f]),
    Loader("cases-events", "missions", "events.csv", EVENTS_CSV,
           lambda f: ["cases", "load", f]),
    Loader("cases-people", "missions", "people.csv", PEOPLE_CSV,
           lambda f: ["cases", "load", "events.csv", "--people", f]),
]  # fmt: skip


# -- the stores -----------------------------------------------------------------------


class Cli:
    """`convenio` in-process, in `home`, on the embedded store of `home/data`."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CONVENIO_DATA_DIR", str(self.home / "data"))
            mp.setenv("CONVENIO_DATABASE_URL", "")
            mp.setenv("CONVENIO_SECRET_KEY", KEY)
            mp.setenv("CONVENIO_WRITE_WAIT", "0")
            mp.setenv("COLUMNS", "200")
            mp.chdir(self.home)
            get_settings.cache_clear()
            try:
                return self.runner.invoke(app, list(args))
            finally:
                get_settings.cache_clear()

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        return result.stdout


def ledger_store(home: Path) -> None:
    """The tutorial's agreement: terms, accounts, journal, prices, deliveries, payments."""
    cli = Cli(home)
    cli.ok("terms", "load", str(EXAMPLES / "tutorial.yaml"))
    cli.ok("ledger", "open", "--file", str(EXAMPLES / "accounts.csv"))
    cli.ok("ledger", "post", str(EXAMPLES / "journal.csv"))
    for kind in ("prices", "deliveries", "payments"):
        cli.ok(kind, "load", str(EXAMPLES / f"{kind}.csv"))


def missions_store(home: Path) -> None:
    """Cuba–Venezuela terms, org units, metadata, values, cooperants, deployments, cases."""
    cli = Cli(home)
    files = {
        "ou.csv": ORG_UNITS_CSV,
        "meta.yaml": METADATA_YAML,
        "values.csv": VALUES_CSV,
        "coop.csv": COOPERANTS_CSV,
        "dep.csv": DEPLOYMENTS_CSV,
        "events.csv": EVENTS_CSV,
        "people.csv": PEOPLE_CSV,
    }
    for name, text in files.items():
        (home / name).write_text(text, encoding="utf-8")
    cli.ok("terms", "load", str(EXAMPLES / "cuba-venezuela.yaml"))
    cli.ok("orgunits", "load", "ou.csv", "--effective", "2004-01-01")
    cli.ok("metadata", "load", "meta.yaml")
    cli.ok("data", "import", "values.csv", "--today", TODAY)
    cli.ok("data", "export", "--format", "dhis2-json", "-o", "values.json")
    cli.ok("cooperants", "load", "coop.csv")
    cli.ok("deployments", "load", "dep.csv")
    cli.ok("cases", "load", "events.csv", "--people", "people.csv")


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One store of each kind, built once and copied for each loader."""
    made = {}
    for name, build in (("ledger", ledger_store), ("missions", missions_store)):
        home = tmp_path_factory.mktemp(name)
        build(home)
        made[name] = home
    yield made


def digest(home: Path) -> str:
    """Every row of every table of the store, in a stable order, hashed."""
    db = sqlite3.connect(f"file:{home / 'data' / 'convenio.db'}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
        ]
        h = hashlib.sha256()
        for table in tables:
            h.update(f"\x00{table}\x00".encode())
            for row in sorted(repr(r) for r in db.execute(f'SELECT * FROM "{table}"')):
                h.update(row.encode())
        return h.hexdigest()
    finally:
        db.close()


# -- the mutations ----------------------------------------------------------------------

ODD = [
    "\ufeff", "²", "٣", "１", "\x00", "\u202e", "é", "\u0301", "\r", "\n\n", ";", ",", '"',
    "\t", "NaN", "1e999", "-", "0x1F", "&a", "*a", "{", "[", ":", "\u2028", "𝟘",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` with one to three mutations applied."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["flip", "truncate", "duplicate", "delete", "swap", "huge", "odd", "nest", "lone"]
            )
        )
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        lines = bytes(data).split(b"\n")
        line = draw(st.integers(0, max(len(lines) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate":
            lines.insert(line, lines[line])
            data = bytearray(b"\n".join(lines))
        elif kind == "delete" and len(lines) > 1:
            del lines[line]
            data = bytearray(b"\n".join(lines))
        elif kind == "swap":
            sep = b"," if b"," in lines[line] else b": "
            fields = lines[line].split(sep)
            if len(fields) > 1:
                i, j = draw(st.integers(0, len(fields) - 1)), draw(st.integers(0, len(fields) - 1))
                fields[i], fields[j] = fields[j], fields[i]
                lines[line] = sep.join(fields)
                data = bytearray(b"\n".join(lines))
        elif kind == "huge":
            filler = draw(st.sampled_from(["9", "x", "1.", "ñ", ","]))
            data[at:at] = (filler * draw(st.sampled_from([300, 5_000, 140_000]))).encode()
        elif kind == "odd":
            data[at:at] = draw(st.sampled_from(ODD)).encode("utf-8")
        elif kind == "nest":
            depth = draw(st.sampled_from([100, 3_000]))
            data[at:at] = b"[" * depth + b"]" * draw(st.sampled_from([0, depth]))
        elif kind == "lone":
            data[at:at] = draw(st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe", b"\xc3"]))
    return bytes(data)


# -- the test ---------------------------------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS, ids=[loader.name for loader in LOADERS])
def test_mutated_files_exit_0_2_or_3_and_a_refusal_writes_nothing(
    loader: Loader, templates: dict[str, Path], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(templates[loader.store], home)
    cli = Cli(home)
    seed = (loader.content or (home / loader.file).read_text(encoding="utf-8")).encode()
    target = home / f"fuzz-{loader.file}"
    target.write_bytes(seed)
    accepted = cli(*loader.command(target.name))  # the unmutated file loads
    assert accepted.exit_code == 0, (accepted.stdout, accepted.stderr, accepted.exception)

    @settings(
        max_examples=EXAMPLES_PER_LOADER,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(content=mutated(seed))
    def loads_or_refuses_cleanly(content: bytes) -> None:
        target.write_bytes(content)
        before = digest(home)
        result = cli(*loader.command(target.name))
        escaped = result.exception
        assert escaped is None or isinstance(escaped, SystemExit), (
            f"{loader.name}: {type(escaped).__name__}: {escaped}",
            content[:300],
        )
        assert result.exit_code in ALLOWED_EXITS, (result.exit_code, result.stderr[-2000:])
        if result.exit_code != 0:
            assert digest(home) == before, f"{loader.name}: a refusal changed the store"
            assert result.stderr.strip(), "a refusal says why"

    loads_or_refuses_cleanly()
