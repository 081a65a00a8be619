"""Each party its own verified copy: a replica followed from an export file, or from a live
server, on SQLite and on PostgreSQL.

The source is a SQLite store built through the real services — the example terms, accounts,
a quarter's prices, deliveries and payments, posted journals, a settlement run and its
reopening, audit entries and a party's key announced in the log. A checkpoint is signed
half-way (`early`); the full log, the log up to the checkpoint and the log from the
checkpoint on are exported as `convenio log export` writes them.

What must hold: the replica's log is the source's entry for entry (same root, same chain
head), `ledger verify` passes on it and its balances are the source's; following again
appends only what is new and checks the checkpoint; an export changed, reordered or cut
short, or a source rewritten before its checkpoint, is refused (exit 4) naming the entry
where it can, and leaves the replica exactly as it was.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from convenio.auth import OPERATOR
from convenio.errors import AuthenticationError, ConflictError, IntegrityError, StorageError
from convenio.log import SignerKey, VerifierKey, generate_signer, sign
from convenio.log.records import read_entry
from convenio.services import access, ledger, replica, settlement
from convenio.services import diff as log_diff
from convenio.services import financing as fin
from convenio.services import log as log_svc
from convenio.store import Store, UnitOfWork
from convenio.store.financing_tables import allocations, claims, settlement_runs
from convenio.store.log_tables import party_keys
from convenio.store.tables import accounts, transactions
from tests.integration.test_log_tamper import FREIGHT, journal
from tests.terms_fixtures import LENDING_TEXT

FILES = {
    "terms.yaml": LENDING_TEXT
    + "\n  - id: test-2011q4\n    inherits: previous\n    name: Q4 2011, oil all short-term\n"
    "    effective: 2011-10-01\n    financing: null\n",
    "accounts.csv": (
        "account,unit,kind,floor,ceiling\n"
        "XBO/reserves/central-bank,USD,asset,0,\n"
        "XBO/equity/opening,USD,equity,,\n"
        "XBO/expense/freight,USD,expense,,\n"
    ),
    "prices.csv": "series,date,price\nven-basket,2011-10-03,100.00\nven-basket,2011-11-01,100.00\n",
    "deliveries.csv": (
        "delivery_id,date,supplier,recipient,kind,item,quantity,unit,price\n"
        "oil-10,2011-10-15,VEN.PDVSA,CUB.CUPET,commodity,crude,3000000,bbl,100.00\n"
        "svc-q4,2011-12-31,CUB,VEN,services,doctor,1,person-month,1275000000.00\n"
    ),
    "payments.csv": (
        "payment_id,date,payer,payee,amount,currency\n"
        "bnc-q4,2011-12-30,VEN.PDVSA,CUB.BNC,63470000.00,USD\n"
    ),
    "late.csv": (
        "payment_id,date,payer,payee,amount,currency\n"
        "bnc-late,2011-12-15,VEN.PDVSA,CUB.BNC,50000000.00,USD\n"
    ),
}


def announce(uow: UnitOfWork, signer: SignerKey) -> None:
    """A party's first key announced in the log, signed by itself."""
    verifier = signer.verifier()
    text = f"convenio key\n{log_svc.origin(uow)}\n{signer.name}\n{verifier}\n"
    note = sign(text, [signer]).decode()
    uow.log.add_key(signer.name, str(verifier), None, note, time.time_ns() // 1000)
    uow.commit()


def audit(summary: str) -> Callable[[UnitOfWork], object]:
    def record(uow: UnitOfWork) -> None:
        access.record(uow, OPERATOR, "POST", "/api/v1/payments", summary, "0" * 64, 201,
                      b"{}", 0, 0, summary)  # fmt: skip
        uow.commit()

    return record


def export_to(store: Store, path: Path, start: int = 0) -> Path:
    """The log exported as `convenio log export` writes it."""
    with store.unit_of_work() as uow, path.open("w", encoding="utf-8") as out:
        head, items = replica.export(uow, start)
        out.write(json.dumps(head.as_json()) + "\n")
        for item in items:
            out.write(json.dumps(item.as_json()) + "\n")
    return path


@dataclass(frozen=True)
class Source:
    """A source store and what its party hands out: exports and a signed checkpoint."""

    store: Store
    early: Path  # the log up to the checkpoint
    full: Path  # the whole log
    tail: Path  # the log from the checkpoint on
    note: bytes  # the checkpoint at `early_size`, signed by XBO
    early_size: int
    size: int


def build(
    folder: Path, signer: SignerKey, words: str = "freight", origin: str | None = None
) -> Source:
    """The source, through the services: terms, accounts, the quarter, a journal, XBO's
    key, the settlement run, a late payment and the run reopened, an audit entry — the
    checkpoint — then another journal and audit entry. With `origin`, its log takes that
    name (as an operator rewriting a log would)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in FILES.items():
        (folder / name).write_text(content, encoding="utf-8")
    (folder / "j0.csv").write_text(journal(0, 8, words), encoding="utf-8")
    (folder / "j1.csv").write_text(journal(8, 6), encoding="utf-8")
    store = Store(f"sqlite:///{folder / 'source.db'}")
    if origin is not None:
        with store.unit_of_work(write=True) as uow:
            uow.log.adopt_origin(origin)
            uow.commit()

    def write(service: Callable[[UnitOfWork], object]) -> None:
        with store.unit_of_work(write=True) as uow:
            service(uow)

    write(lambda uow: fin.load_terms_file(uow, folder / "terms.yaml", source="terms.yaml"))
    write(lambda uow: ledger.open_accounts_file(uow, folder / "accounts.csv"))
    write(lambda uow: fin.load_prices(uow, folder / "prices.csv"))
    write(lambda uow: fin.load_deliveries(uow, folder / "deliveries.csv"))
    write(lambda uow: fin.load_payments(uow, folder / "payments.csv"))
    write(lambda uow: ledger.post_file(uow, folder / "j0.csv"))
    write(lambda uow: announce(uow, signer))
    write(lambda uow: settlement.run_settlement(uow, "2011Q4"))
    write(lambda uow: fin.load_payments(uow, folder / "late.csv"))
    write(lambda uow: settlement.run_settlement(uow, "2011Q4", reopen=True))
    write(audit("one payment recorded"))
    with store.unit_of_work() as uow:
        head = log_svc.checkpoint(uow)
    note = sign(head.format(), [signer])
    early = export_to(store, folder / "early.jsonl")
    write(lambda uow: ledger.post_file(uow, folder / "j1.csv"))
    write(audit("another payment"))
    with store.unit_of_work() as uow:
        size = uow.log.head()[0]
    return Source(
        store,
        early,
        export_to(store, folder / "full.jsonl"),
        export_to(store, folder / "tail.jsonl", head.size),
        note,
        head.size,
        size,
    )


XBO, XBO_KEY = generate_signer("XBO")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    built = build(tmp_path_factory.mktemp("source"), XBO)
    yield built
    built.store.close()


@pytest.fixture(scope="module")
def rewritten(tmp_path_factory: pytest.TempPathFactory, source: Source) -> Iterator[Source]:
    """The same agreement written again, under the same log's name, with other words in
    the first journal: before the checkpoint, its log is not the one the checkpoint
    signed."""
    with source.store.unit_of_work() as uow:
        name = log_svc.origin(uow)
    built = build(tmp_path_factory.mktemp("rewritten"), XBO, words="haulage", origin=name)
    yield built
    built.store.close()


def follow(
    store: Store, path: Path, note: bytes | None = None, keys: list[VerifierKey] | None = None
) -> replica.Followed:
    with replica.open_source(str(path)) as src, store.unit_of_work(write=True) as uow:
        return replica.follow(uow, src, note, keys or [])


def state(store: Store) -> tuple[object, ...]:
    """What a refused follow must leave as it was."""
    with store.unit_of_work() as uow:
        conn = uow.connection
        counts = tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (accounts, transactions, settlement_runs, allocations, claims, party_keys)
        )
        return uow.log.head(), uow.ledger.head(), counts


def balances(store: Store) -> list[tuple[str, str, int]]:
    with store.unit_of_work() as uow:
        return [(b.account, b.unit, b.balance) for b in ledger.balances(uow)]


# -- a replica, and following it again --------------------------------------------------


def test_a_replica_followed_from_an_export_is_the_source_entry_for_entry(
    source: Source, store: Store
) -> None:
    done = follow(store, source.full)
    assert (done.added, done.size) == (source.size, source.size)
    with source.store.unit_of_work() as a, store.unit_of_work() as b:
        assert b.log.head() == a.log.head() == (done.size, done.root)
        assert b.ledger.head() == a.ledger.head()  # the same hash chain, to the last link
        assert b.log.logged() == a.log.logged()
        assert log_svc.checkpoint(b) == log_svc.checkpoint(a)
        report = ledger.verify(b)
        assert (report.log_size, report.transactions) == (source.size, a.ledger.head().seq)
        runs = [(r.id, r.status, r.statement) for r in b.financing.runs(status=None)]
        assert runs == [(r.id, r.status, r.statement) for r in a.financing.runs(status=None)]
        assert {r.status for r in b.financing.runs(status=None)} == {"settled", "reversed"}
        assert log_diff.diff(a, b).divergence is None
    assert balances(store) == balances(source.store)
    assert any(amount for _, _, amount in balances(store))


def test_following_again_appends_only_the_new_entries_against_the_checkpoint(
    source: Source, store: Store
) -> None:
    assert follow(store, source.early).added == source.early_size
    again = follow(store, source.tail, source.note, [XBO_KEY])
    assert (again.added, again.size) == (source.size - source.early_size, source.size)
    assert again.checkpoint_size == source.early_size
    with store.unit_of_work() as uow:  # kept: XBO's key is announced in the log
        kept = log_svc.latest_checkpoint(uow)
        assert kept is not None and kept.size == source.early_size
    once_more = follow(store, source.full)  # its entries all held already, compared
    assert (once_more.added, once_more.checkpoint_size) == (0, source.early_size)
    with source.store.unit_of_work() as a, store.unit_of_work() as b:
        assert b.log.head() == a.log.head()
        ledger.verify(b)


# -- refusals -----------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _described(line: str, words: str) -> str:
    """A transaction's line with its description changed (the entry re-encoded)."""
    value = json.loads(line)
    entry = base64.b64decode(value["entry"])
    assert read_entry(entry).kind == "txn"
    changed = entry.replace(b"freight", words.encode(), 1)
    assert changed != entry
    return json.dumps({**value, "entry": base64.b64encode(changed).decode()}) + "\n"


def _txn_lines(lines: list[str], lo: int, hi: int) -> list[int]:
    """Line numbers (0: the header) of the freight transactions with index lo..hi-1."""
    return [
        n
        for n, line in enumerate(lines[1:], 1)
        if (v := json.loads(line))["kind"] == "txn"
        and lo <= v["index"] < hi
        and b"freight" in base64.b64decode(v["entry"])
    ]


def _swap(lines: list[str], i: int, j: int) -> list[str]:
    lines[i], lines[j] = lines[j], lines[i]
    return lines


def _swap_payloads(lines: list[str], i: int, j: int) -> list[str]:
    """Two lines' entries exchanged, their indexes kept in order."""
    x, y = json.loads(lines[i]), json.loads(lines[j])
    lines[i] = json.dumps({**y, "index": x["index"]}) + "\n"
    lines[j] = json.dumps({**x, "index": y["index"]}) + "\n"
    return lines


Tamper = Callable[[list[str], Source], tuple[list[str], str]]


def held_changed(lines: list[str], s: Source) -> tuple[list[str], str]:
    n = _txn_lines(lines, 0, s.early_size)[3]
    lines[n] = _described(lines[n], "forged")
    return lines, rf"entry {n - 1} \(txn \d+\) of the source is not this replica's entry {n - 1}"


def new_changed(lines: list[str], s: Source) -> tuple[list[str], str]:
    # A root covers the whole log: a change past what the replica holds is found, but
    # which entry changed no root can say (the source's own hashes would).
    n = _txn_lines(lines, s.early_size, s.size)[2]
    lines[n] = _described(lines[n], "forged")
    return lines, "do not give the root of .*'s head: an entry was changed on the way"


def dropped(lines: list[str], s: Source) -> tuple[list[str], str]:
    n = _txn_lines(lines, s.early_size, s.size)[1]
    del lines[n]
    return lines, rf"gives entry {n} where entry {n - 1} was due: entries dropped or reordered"


def reordered(lines: list[str], s: Source) -> tuple[list[str], str]:
    n = _txn_lines(lines, s.early_size, s.size)[1]
    return _swap(lines, n, n + 1), rf"gives entry {n} where entry {n - 1} was due"


def renumbered(lines: list[str], s: Source) -> tuple[list[str], str]:
    n = _txn_lines(lines, s.early_size, s.size)[1]
    return _swap_payloads(lines, n, n + 1), rf"entry {n - 1} \(txn \d+\): the replica's next txn"


def undeclared(lines: list[str], s: Source) -> tuple[list[str], str]:
    n = _txn_lines(lines, s.early_size, s.size)[2]  # inside a batch of transactions
    value = json.loads(lines[n])
    entry = base64.b64decode(value["entry"]).replace(FREIGHT.encode(), b"XBO/expense/nowhere")
    lines[n] = json.dumps({**value, "entry": base64.b64encode(entry).decode()}) + "\n"
    return lines, rf"entry {n - 1} \(txn \d+\): it posts to XBO/expense/nowhere, an account"


def cut_short(lines: list[str], s: Source) -> tuple[list[str], str]:
    return lines[:-3], rf"ends at entry {s.size - 4} but its head says {s.size} entries"


def mislabelled(lines: list[str], s: Source) -> tuple[list[str], str]:
    n = _txn_lines(lines, s.early_size, s.size)[0]
    value = json.loads(lines[n])
    lines[n] = json.dumps({**value, "kind": "account"}) + "\n"
    return lines, rf"entry {n - 1} \(account \d+\): its bytes are the entry of txn"


@pytest.mark.parametrize(
    "tamper",
    [held_changed, new_changed, dropped, reordered, renumbered, undeclared, cut_short, mislabelled],
    ids=lambda f: f.__name__,
)
def test_a_tampered_export_is_refused_and_the_replica_is_unchanged(
    source: Source, store: Store, tmp_path: Path, tamper: Tamper
) -> None:
    follow(store, source.early)
    before = state(store)
    lines, message = tamper(_lines(source.full), source)
    bad = tmp_path / "tampered.jsonl"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(IntegrityError, match=message):
        follow(store, bad)
    assert state(store) == before
    with store.unit_of_work() as uow:
        ledger.verify(uow)


def test_a_source_rewritten_before_its_checkpoint_is_refused(
    source: Source, rewritten: Source, store: Store
) -> None:
    empty = state(store)
    with pytest.raises(IntegrityError, match="not the ones the checkpoint signed"):
        follow(store, rewritten.full, source.note, [XBO_KEY])
    assert state(store) == empty
    follow(store, source.early)
    before = state(store)
    # Every entry records when it was written: the rewritten log parts at its first.
    with pytest.raises(
        IntegrityError, match=r"entry 0 \(terms 1\) of the source is not this replica's entry 0"
    ):
        follow(store, rewritten.full)
    assert state(store) == before


def test_an_older_export_adds_nothing_and_another_log_is_refused(
    source: Source, rewritten: Source, store: Store, tmp_path: Path
) -> None:
    follow(store, source.full)
    before = state(store)
    assert follow(store, source.early).added == 0  # an older export: the replica's first
    with pytest.raises(IntegrityError, match=r"entry 0 \(terms 1\) of the source is not"):
        follow(store, rewritten.early)  # older, and another log
    with replica.open_source(str(source.early)) as src, store.unit_of_work(write=True) as uow:
        src.snapshot = False  # the same, as a server would say it now: it lost entries
        with pytest.raises(IntegrityError, match=rf"the source lost entries {source.early_size}"):
            replica.follow(uow, src)
    other = _lines(source.full)
    header = json.loads(other[0])
    other[0] = json.dumps({**header, "origin": "convenio/another-agreement"}) + "\n"
    (tmp_path / "other.jsonl").write_text("".join(other), encoding="utf-8")
    with pytest.raises(ConflictError, match="keeps the log 'convenio/"):
        follow(store, tmp_path / "other.jsonl")
    assert state(store) == before


def test_diff_across_backends_names_the_field_an_sql_edit_changed(
    source: Source, store: Store
) -> None:
    follow(store, source.full)
    with store.unit_of_work(write=True) as uow:
        uow.connection.execute(
            update(settlement_runs)
            .values(statement='{"net": "forged"}')
            .where(settlement_runs.c.status == "reversed")
        )
        uow.commit()
    with source.store.unit_of_work() as a, store.unit_of_work() as b:
        found = log_diff.diff(a, b).divergence
        run = next(r.id for r in a.financing.runs(status="reversed"))
        assert found is not None
        assert (found.a, found.b) == (("run", run), ("run", run))
        assert found.index == a.log.locate("run", run)
        assert "B: the record no longer gives the entry its log holds" in found.reason
        fields = {d.field for d in found.fields}
        assert "statement.net" in fields and "statement.currency" in fields
        assert not log_diff.diff(a, a).divergence


# -- from a live server -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Store]]:
    """A live SQLite server whose treasuries opened accounts and posted (audited writes):
    its URL, the auditor's token and its store."""
    import tests.api.conftest  # noqa: F401  (first: live.py imports it, and it imports live.py)
    from tests.api.live import serving
    from tests.api.test_ledger_routes import ACCOUNTS, JOURNAL, _of

    tmp = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{tmp / 'served.db'}"
    with serving(url, tmp) as live:
        for party in ("XAT", "XBO"):
            with live.client(f"treasury-{party}") as client:
                opened = client.post("/api/v1/accounts", json=_of(party, ACCOUNTS))
                assert opened.status_code == 201, opened.text
                posted = client.post("/api/v1/transactions", json=_of(party, JOURNAL))
                assert posted.status_code == 201, posted.text
        with live.client("auditor") as client:
            assert client.get("/api/v1/log/checkpoint").status_code == 200
        served = Store(url)
        try:
            yield live.url, live.people["auditor"], served
        finally:
            served.close()


def test_a_replica_follows_a_live_server_with_a_token(
    server: tuple[str, str, Store], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, token, served = server
    monkeypatch.setattr(replica, "PAGE", 7)  # many pages
    with (
        replica.open_source(url) as src,
        store.unit_of_work(write=True) as uow,
        pytest.raises(AuthenticationError, match="HTTP 401"),
    ):
        replica.follow(uow, src)
    with replica.open_source(url, token) as src, store.unit_of_work(write=True) as uow:
        done = replica.follow(uow, src)
    with served.unit_of_work() as a, store.unit_of_work() as b:
        assert (done.size, done.root) == a.log.head() == b.log.head()
        assert b.log.logged().get("audit", 0) >= 4  # the treasuries' writes, audited
        ledger.verify(b)
        assert log_diff.diff(a, b).divergence is None


def test_a_server_that_redirects_is_refused_and_never_given_the_token(sqlite_url: str) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[tuple[str, str | None]] = []

    class Redirecting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Authorization")))
            self.send_response(302)
            self.send_header("Location", "/away")  # urllib would follow it, token and all
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    store = Store(sqlite_url)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}"
        with (
            replica.open_source(url, "secret") as src,
            store.unit_of_work(write=True) as uow,
            pytest.raises(StorageError, match="answered HTTP 302"),
        ):
            replica.follow(uow, src)
    finally:
        httpd.shutdown()
        httpd.server_close()
        store.close()
    assert seen == [("/api/v1/log/checkpoint", "Bearer secret")]
