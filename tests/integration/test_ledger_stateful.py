"""A stateful property test of the ledger services against a real store.

A Hypothesis rule-based state machine opens accounts, posts random batches (sound ones,
broken ones, replays, reused ids) and reverses transactions through
`convenio.services.ledger`, while a pure in-memory model beside it predicts every
outcome: which batches are refused, and why. After every step the store must agree with
the model — the recorded transactions in chain order, balances now, as of chosen dates
and as known at a recorded time, the day-end balances of bounded accounts — and
`verify` must pass. Every example gets an empty database of its own: a fresh SQLite
file, or a fresh PostgreSQL schema dropped afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, create_engine, text

from convenio.errors import ConflictError, InputError
from convenio.ledger import AccountKind, AccountSpec, Posting, Transaction, reversal_of
from convenio.ledger.parse import Located, LocatedAccount
from convenio.services import ledger as svc
from convenio.store import Store, UnitOfWork

MAX_AMOUNT = 2**63 - 1
SCALES = {"USD": 2, "bbl": 3}
"""The units the machine uses (built into every store), with their scales."""

PARTIES = ("VEN", "CUB", "CUB.BNC")
SEGMENTS = ("cash", "claims", "stock", "deliveries", "fees")
FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2026, 12, 31)
KEY_DAYS = (
    FIRST_DAY,
    date(2023, 12, 31),
    date(2024, 1, 1),
    date(2024, 2, 29),
    date(2024, 12, 31),
    date(2025, 1, 1),
    date(2025, 6, 30),
    LAST_DAY,
)
"""Days that many postings share, so that several transactions meet on one day-end."""
MAX_PROBES = 4
"""How many of the drawn as-of dates (the latest ones) every step checks."""

BOUNDS: tuple[tuple[int | None, int | None], ...] = (
    (None, None),
    (None, None),
    (0, None),
    (0, None),
    (0, None),
    (-5_000, None),
    (None, 0),
    (0, 10**9),
)
"""(floor, ceiling) choices: mostly unbounded or floor 0, sometimes an overdraft or a cap."""

BASE_ACCOUNTS = (
    AccountSpec("VEN/cash/USD-a", "USD", AccountKind.ASSET),
    AccountSpec("CUB/cash/USD-b", "USD", AccountKind.ASSET, floor=0),
    AccountSpec("VEN/stock/bbl-a", "bbl", AccountKind.ASSET),
    AccountSpec("CUB.BNC/stock/bbl-b", "bbl", AccountKind.ASSET, floor=0),
)
"""Opened first: each unit has an unbounded account and a floor-0 account."""

Verdict = Literal["ok", "input", "conflict"]

days = st.one_of(st.sampled_from(KEY_DAYS), st.dates(FIRST_DAY, LAST_DAY))
amounts = st.one_of(
    st.integers(-1_000, 1_000),
    st.integers(-(10**6), 10**6),
    st.integers(-(10**12), 10**12),
)
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
kinds = st.sampled_from(("manual", "delivery", "payment", "accrual"))
metadata = st.dictionaries(st.sampled_from(("contract", "invoice", "ref")), texts, max_size=2)


# -- the model -------------------------------------------------------------------------


class Prediction(NamedTuple):
    """What the service must do with a batch, and which transactions it would record."""

    verdict: Verdict
    fresh: tuple[Transaction, ...]


class LedgerModel:
    """The ledger as plain Python values: declared accounts and recorded transactions."""

    def __init__(self) -> None:
        self.specs: dict[str, AccountSpec] = {}
        self.txns: list[Transaction] = []
        self.by_id: dict[str, Transaction] = {}
        self.reversed_by: dict[str, str] = {}

    def bounded(self) -> list[AccountSpec]:
        return [s for s in self.specs.values() if s.floor is not None or s.ceiling is not None]

    def balances(
        self, as_of: date | None = None, txns: Iterable[Transaction] | None = None
    ) -> dict[str, int]:
        """Every account's balance (zeros included) over `txns` (default: all recorded)."""
        result = dict.fromkeys(self.specs, 0)
        for txn in self.txns if txns is None else txns:
            if as_of is None or txn.date <= as_of:
                for p in txn.postings:
                    result[p.account] += p.amount
        return result

    @staticmethod
    def day_totals(txns: Iterable[Transaction]) -> dict[str, dict[date, int]]:
        """Per account, the net amount posted on each day that has postings."""
        totals: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for txn in txns:
            for p in txn.postings:
                totals[p.account][txn.date] += p.amount
        return totals

    def day_ends(self, account: str) -> list[tuple[date, int]]:
        """The balance of `account` at the end of each day with postings (or 0 before any)."""
        balance, ends = 0, [(FIRST_DAY - timedelta(days=1), 0)]
        for day, amount in sorted(self.day_totals(self.txns).get(account, {}).items()):
            balance += amount
            ends.append((day, balance))
        return ends

    def bound_breaks(self, txns: Iterable[Transaction]) -> list[tuple[str, date, int]]:
        """(account, day, balance) for every day-end at which a bounded account is out."""
        totals = self.day_totals(txns)
        breaks = []
        for spec in self.bounded():
            balance = 0
            for day, amount in sorted(totals.get(spec.name, {}).items()):
                balance += amount
                if spec.breaks_bound(balance):
                    breaks.append((spec.name, day, balance))
        return breaks

    def issues(self, txn: Transaction) -> list[str]:
        """Why `txn` cannot be posted at all (the bounds aside)."""
        found = []
        if not txn.id or txn.id != txn.id.strip():
            found.append("bad id")
        if len(txn.postings) < 2:
            found.append("fewer than two postings")
        sums: dict[str, int] = defaultdict(int)
        for p in txn.postings:
            spec = self.specs.get(p.account)
            if spec is None:
                found.append(f"unknown account {p.account}")
            elif spec.unit != p.unit:
                found.append(f"{p.unit} posted to a {spec.unit} account")
            if abs(p.amount) > MAX_AMOUNT:
                found.append("amount too large")
            sums[p.unit] += p.amount
        found.extend(f"{unit} does not balance" for unit, total in sums.items() if total)
        return found

    def predict(self, batch: Sequence[Transaction]) -> Prediction:
        """The service's answer to `batch`: refused as input, refused as a conflict, or ok.

        Ids already recorded (or repeated in the batch) with the same content are replays;
        with other content they conflict. Input problems of the new transactions, including
        a bound broken at any day-end, take precedence over conflicts.
        """
        first: dict[str, Transaction] = {}
        conflict = False
        for txn in batch:
            seen = first.setdefault(txn.id, txn)
            conflict |= seen != txn
        fresh = []
        for txn in first.values():
            known = self.by_id.get(txn.id)
            if known is None:
                fresh.append(txn)
            else:
                conflict |= known != txn
        if any(self.issues(t) for t in fresh) or self.bound_breaks([*self.txns, *fresh]):
            return Prediction("input", ())
        if conflict:
            return Prediction("conflict", ())
        return Prediction("ok", tuple(fresh))

    def apply(self, fresh: Iterable[Transaction]) -> None:
        for txn in fresh:
            self.txns.append(txn)
            self.by_id[txn.id] = txn
            if txn.reverses is not None:
                self.reversed_by[txn.reverses] = txn.id


def located(batch: Iterable[Transaction]) -> list[Located]:
    return [Located(t, "machine", None, (None,) * len(t.postings)) for t in batch]


def moves_away_from_bounds(spec: AccountSpec, size: int) -> bool:
    """Whether posting `size` to `spec` can never take it out of its bounds."""
    return (size >= 0 or spec.floor is None) and (size <= 0 or spec.ceiling is None)


def unit_sums(txn: Transaction) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for p in txn.postings:
        sums[p.unit] += p.amount
    return sums


Snapshot = tuple[Any, ...]


def snapshot(uow: UnitOfWork) -> Snapshot:
    """Everything a refused or replayed write must leave as it was."""
    rows = svc.balances(uow)
    return (
        dict(uow.ledger.counts()),
        uow.ledger.head(),
        [(r.account, r.unit, r.balance) for r in rows],
    )


# -- the machine -----------------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
    """Drives the ledger services on a fresh database; subclasses say which one."""

    def __init__(self) -> None:
        super().__init__()
        self.url = self.create_database()
        try:
            self.store = Store(self.url)
        except BaseException:
            self.drop_database()
            raise
        self.model = LedgerModel()
        self.serial = 0
        self.probes: list[date] = []
        self.accepted: list[tuple[Transaction, ...]] = []

    def create_database(self) -> str:
        raise NotImplementedError

    def drop_database(self) -> None:
        raise NotImplementedError

    def teardown(self) -> None:
        self.store.close()
        self.drop_database()

    # -- helpers ---------------------------------------------------------------------

    def next_id(self, prefix: str = "T") -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def snapshot(self) -> Snapshot:
        with self.store.unit_of_work() as uow:
            return snapshot(uow)

    def store_balances(self, as_of: date | None = None) -> dict[str, int]:
        with self.store.unit_of_work() as uow:
            return {r.account: r.balance for r in svc.balances(uow, as_of=as_of)}

    def by_unit(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for name, spec in sorted(self.model.specs.items()):
            groups[spec.unit].append(name)
        return groups

    def draw_txn(self, data: st.DataObject) -> Transaction:
        """A balanced transaction over open accounts: 1–2 units, 2–3 postings each.

        Half of them are safe: they move bounded accounts only away from their bounds (the
        unbounded accounts of every unit take the rest), so that batches are not almost
        always refused.
        """
        groups = self.by_unit()
        safe = data.draw(st.booleans())
        chosen = data.draw(st.lists(st.sampled_from(sorted(groups)), min_size=1, max_size=2,
                                    unique=True))  # fmt: skip
        postings: list[Posting] = []
        for unit in chosen:
            n = data.draw(st.integers(2, 3))
            sizes = data.draw(st.lists(amounts, min_size=n - 1, max_size=n - 1))
            sizes.append(-sum(sizes))
            for size in sizes:
                allowed = [
                    name
                    for name in groups[unit]
                    if not safe or moves_away_from_bounds(self.model.specs[name], size)
                ]
                postings.append(Posting(data.draw(st.sampled_from(allowed)), size, unit))
        return Transaction(
            id=self.next_id(),
            date=data.draw(days),
            description=data.draw(texts),
            postings=tuple(data.draw(st.permutations(postings))),
            kind=data.draw(kinds),
            source=data.draw(texts),
            metadata=tuple(sorted(data.draw(metadata).items())),
        )

    def submit(self, batch: Sequence[Transaction], label: str) -> Verdict:
        """Post `batch` and check the outcome, the result and the store against the model."""
        predicted = self.model.predict(batch)
        before = self.snapshot()
        refusal = ""
        try:
            with self.store.unit_of_work(write=True) as uow:
                result = svc.post(uow, located(batch))
        except InputError as exc:
            verdict: Verdict = "input"
            refusal = exc.render()
        except ConflictError as exc:
            verdict = "conflict"
            refusal = exc.render()
        else:
            verdict = "ok"
        event(f"{label}: {verdict}")
        assert verdict == predicted.verdict, (
            f"the model expected {predicted.verdict}, the service answered {verdict}\n{refusal}"
        )
        if verdict != "ok":
            assert self.snapshot() == before, "a refused batch changed the store"
            return verdict
        fresh = predicted.fresh
        assert (result.posted, result.replayed) == (len(fresh), len(batch) - len(fresh))
        assert result.head_seq == len(self.model.txns) + len(fresh)
        if not fresh:
            assert self.snapshot() == before, "a replay changed the store"
        self.model.apply(fresh)
        self.accepted.append(tuple(batch))
        return verdict

    def open(self, specs: Sequence[AccountSpec]) -> svc.OpenResult:
        with self.store.unit_of_work(write=True) as uow:
            return svc.open_accounts(uow, [LocatedAccount(s, "machine", i + 1)
                                           for i, s in enumerate(specs)])  # fmt: skip

    # -- rules -----------------------------------------------------------------------

    @initialize(probes=st.lists(days, min_size=2, max_size=MAX_PROBES, unique=True))
    def open_base_accounts(self, probes: list[date]) -> None:
        assert self.open(BASE_ACCOUNTS) == svc.OpenResult(len(BASE_ACCOUNTS), 0)
        self.model.specs.update((s.name, s) for s in BASE_ACCOUNTS)
        self.probes = probes

    @rule(day=days)
    def add_probe_date(self, day: date) -> None:
        self.probes.append(day)

    @rule(data=st.data())
    def open_accounts(self, data: st.DataObject) -> None:
        specs = []
        for _ in range(data.draw(st.integers(1, 3))):
            unit = data.draw(st.sampled_from(sorted(SCALES)))
            floor, ceiling = data.draw(st.sampled_from(BOUNDS))
            name = "/".join(
                (data.draw(st.sampled_from(PARTIES)), data.draw(st.sampled_from(SEGMENTS)),
                 self.next_id(f"{unit}-"))
            )  # fmt: skip
            specs.append(
                AccountSpec(name, unit, data.draw(st.sampled_from(AccountKind)), floor, ceiling)
            )
        again = data.draw(st.lists(st.sampled_from(sorted(self.model.specs)), max_size=2))
        declared = specs + [self.model.specs[name] for name in again]
        result = self.open(data.draw(st.permutations(declared)))
        assert result == svc.OpenResult(len(specs), len(again))
        self.model.specs.update((s.name, s) for s in specs)

    @rule(data=st.data())
    def open_bad_accounts(self, data: st.DataObject) -> None:
        """A bad or contradicting declaration refuses the whole call; nothing is opened."""
        good = AccountSpec(f"VEN/cash/USD-{self.next_id('x')}", "USD")
        existing = self.model.specs[data.draw(st.sampled_from(sorted(self.model.specs)))]
        other_unit = next(u for u in SCALES if u != existing.unit)
        bad, expected = data.draw(
            st.sampled_from(
                (
                    (AccountSpec("ven/cash/x", "USD"), InputError),
                    (AccountSpec("VEN", "USD"), InputError),
                    (AccountSpec("VEN/cash/xyz", "XYZ"), InputError),
                    (AccountSpec("VEN/cash/up", "USD", floor=10, ceiling=0), InputError),
                    (AccountSpec(existing.name, other_unit), ConflictError),
                    (AccountSpec(existing.name, existing.unit, existing.kind,
                                 -1 if existing.floor is None else None), ConflictError),
                )
            )
        )  # fmt: skip
        before = self.snapshot()
        try:
            self.open(data.draw(st.permutations([good, bad])))
        except (InputError, ConflictError) as exc:
            assert type(exc) is expected, exc.render()
        else:
            raise AssertionError(f"opening {bad} was accepted")
        assert self.snapshot() == before

    @rule(data=st.data())
    def post_batch(self, data: st.DataObject) -> None:
        """1–5 random balanced transactions; refused as a whole if one breaks a bound."""
        batch = [self.draw_txn(data) for _ in range(data.draw(st.integers(1, 5)))]
        if data.draw(st.booleans()):
            batch.append(data.draw(st.sampled_from(batch)))  # the same id and content twice
        if len(self.model.txns) > 0 and data.draw(st.booleans()):
            batch.append(data.draw(st.sampled_from(self.model.txns)))  # a recorded one
        verdict = self.submit(data.draw(st.permutations(batch)), "random batch")
        assert verdict != "conflict"

    @rule(data=st.data())
    def fund_bounded_account(self, data: st.DataObject) -> None:
        """Move an amount into a bounded account from an unbounded one, away from its bound."""
        spec = data.draw(st.sampled_from(self.model.bounded()))
        source = data.draw(
            st.sampled_from([s.name for s in self.model.specs.values()
                             if s.unit == spec.unit and s not in self.model.bounded()])
        )  # fmt: skip
        size = data.draw(st.integers(1, 10**7))
        size = -size if spec.floor is None else size
        txn = Transaction(
            self.next_id(),
            data.draw(days),
            "funding",
            (Posting(spec.name, size, spec.unit), Posting(source, -size, spec.unit)),
        )
        self.submit([txn], "funding")

    @rule(data=st.data(), overshoot=st.sampled_from((-1, 0, 1)))
    def move_to_bound(self, data: st.DataObject, overshoot: int) -> None:
        """Take a bounded account exactly to its bound at its tightest day-end, or one past.

        The day is often one that already has postings, so that the check must count the
        stored postings of that day exactly once.
        """
        spec = data.draw(st.sampled_from(self.model.bounded()))
        totals = self.model.day_totals(self.model.txns).get(spec.name, {})
        day = data.draw(st.sampled_from(sorted(totals)) | days if totals else days)
        ends = [
            sum(a for d, a in totals.items() if d <= end)
            for end in [day, *(d for d in totals if d > day)]
        ]
        if spec.floor is not None:
            # (never upwards: an account with a ceiling too might be at it)
            size = -max(min(ends) - spec.floor + overshoot, 0)
        else:
            assert spec.ceiling is not None
            size = spec.ceiling - max(ends) + overshoot
        source = data.draw(
            st.sampled_from([s.name for s in self.model.specs.values()
                             if s.unit == spec.unit and s not in self.model.bounded()])
        )  # fmt: skip
        txn = Transaction(
            self.next_id(),
            day,
            "to the bound",
            (Posting(spec.name, size, spec.unit), Posting(source, -size, spec.unit)),
        )
        verdict = self.submit([txn], f"to the bound {overshoot:+d}")
        assert verdict == ("input" if overshoot > 0 else "ok")

    @rule(data=st.data())
    def post_bad_batch(self, data: st.DataObject) -> None:
        """Sound transactions with one broken one: refused as input, nothing written."""
        good = [self.draw_txn(data) for _ in range(data.draw(st.integers(0, 3)))]
        base = self.draw_txn(data)
        p0 = base.postings[0]
        flaw = data.draw(
            st.sampled_from(
                ("unbalanced", "unknown account", "wrong unit", "one posting", "no postings",
                 "blank id", "padded id", "too large")
            )
        )  # fmt: skip
        if flaw == "unbalanced":
            delta = data.draw(st.integers(1, 10**6) | st.integers(-(10**6), -1))
            postings = (p0._replace(amount=p0.amount + delta), *base.postings[1:])
            bad = base._replace(postings=postings)
        elif flaw == "unknown account":
            bad = base._replace(postings=(p0._replace(account="VEN/nowhere/x"),
                                          *base.postings[1:]))  # fmt: skip
        elif flaw == "wrong unit":
            swap = {"USD": "bbl", "bbl": "USD"}
            bad = base._replace(postings=tuple(p._replace(unit=swap[p.unit])
                                               for p in base.postings))  # fmt: skip
        elif flaw == "one posting":
            bad = base._replace(postings=(p0._replace(amount=0),))
        elif flaw == "no postings":
            bad = base._replace(postings=())
        elif flaw == "blank id":
            bad = base._replace(id="")
        elif flaw == "padded id":
            bad = base._replace(id=f" {base.id} ")
        else:
            bad = base._replace(postings=(p0._replace(amount=MAX_AMOUNT + 1),
                                          p0._replace(amount=-(MAX_AMOUNT + 1))))  # fmt: skip
        assert self.model.issues(bad), f"{flaw}: the generator made a sound transaction"
        assert self.submit(data.draw(st.permutations([*good, bad])), f"bad: {flaw}") == "input"

    @precondition(lambda self: bool(self.accepted))
    @rule(data=st.data())
    def replay_batch(self, data: st.DataObject) -> None:
        """Posting an accepted batch again changes nothing: counts, head and balances."""
        batch = data.draw(st.sampled_from(self.accepted))
        before = len(self.model.txns)
        assert self.submit(batch, "replay") == "ok"
        assert len(self.model.txns) == before

    @precondition(lambda self: bool(self.model.txns))
    @rule(data=st.data())
    def reuse_id(self, data: st.DataObject) -> None:
        """A recorded id with other content is a conflict, even beside sound transactions."""
        original = data.draw(st.sampled_from(self.model.txns))
        change = data.draw(
            st.sampled_from(("description", "date", "amounts", "order", "metadata", "kind"))
        )
        if change == "description":
            altered = original._replace(description=original.description + "·")
        elif change == "date":
            altered = original._replace(date=original.date + timedelta(days=1))
        elif change == "amounts":
            altered = original._replace(postings=tuple(p._replace(amount=-p.amount)
                                                       for p in original.postings))  # fmt: skip
        elif change == "order":
            altered = original._replace(postings=original.postings[::-1])
        elif change == "metadata":
            altered = original._replace(metadata=(*original.metadata, ("zz", "extra")))
        else:
            altered = original._replace(kind="other")
        if altered == original:  # negating zeros or reversing a palindrome changes nothing
            altered = original._replace(description=original.description + "·")
        company = [self.draw_txn(data) for _ in range(data.draw(st.integers(0, 2)))]
        if self.model.predict(company).verdict != "ok":
            company = []  # a refused companion would make the batch an input error instead
        batch = data.draw(st.permutations([*company, altered]))
        assert self.submit(batch, f"reused id: {change}") == "conflict"

    @precondition(lambda self: bool(self.model.txns))
    @rule(
        data=st.data(),
        on=st.none() | days,
        own_id=st.booleans(),
        reason=st.sampled_from(("", "entered twice")),
    )
    def reverse(self, data: st.DataObject, on: date | None, own_id: bool, reason: str) -> None:
        """Reversing undoes a transaction: balances return to the state without it."""
        original = data.draw(st.sampled_from(self.model.txns))
        new_id = self.next_id("R") if own_id else None
        reversal_id = new_id or f"{original.id}/reversal"
        already = self.model.reversed_by.get(original.id)
        candidate = reversal_of(original, reversal_id, on or original.date, reason)
        assert [p.amount for p in candidate.postings] == [-p.amount for p in original.postings]
        if original.reverses is not None or already not in (None, reversal_id):
            predicted = Prediction("conflict", ())
        else:
            predicted = self.model.predict([candidate])
        without = [t for t in self.model.txns if t.id != original.id]
        before = self.snapshot()
        try:
            with self.store.unit_of_work(write=True) as uow:
                svc.reverse(uow, original.id, new_id, on, reason)
        except InputError as exc:
            verdict: Verdict = "input"
            refusal = exc.render()
        except ConflictError as exc:
            verdict = "conflict"
            refusal = exc.render()
        else:
            verdict, refusal = "ok", ""
        event(f"reverse: {verdict}")
        assert verdict == predicted.verdict, (
            f"the model expected {predicted.verdict}, the service answered {verdict}\n{refusal}"
        )
        if verdict != "ok" or not predicted.fresh:
            assert self.snapshot() == before
            return
        self.model.apply(predicted.fresh)
        effective = on or original.date
        for day in [None, *self.probes[-MAX_PROBES:], original.date, effective]:
            if day is None or day >= max(effective, original.date):
                assert self.store_balances(day) == self.model.balances(day, without), day

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def store_agrees_with_model(self) -> None:
        model = self.model
        with self.store.unit_of_work() as uow:
            records = list(uow.ledger.iter_recorded())
            assert [r.seq for r in records] == list(range(1, len(records) + 1))
            assert [r.txn for r in records] == model.txns
            for rec in records:
                assert not any(unit_sums(rec.txn).values()), f"{rec.txn.id} does not balance"
            report = svc.verify(uow)
            assert (report.transactions, report.head_seq) == (len(model.txns), len(model.txns))
            assert report.head_hash == (records[-1].hash if records else "0" * 64)
            assert dict(uow.ledger.counts()) == {
                "transactions": len(model.txns),
                "postings": sum(len(t.postings) for t in model.txns),
                "accounts": len(model.specs),
            }

            assert uow.ledger.accounts() == model.specs
            rows = svc.balances(uow)
            assert {r.account: r.balance for r in rows} == model.balances()
            owned = {n: b for n, b in model.balances().items() if n.split("/")[0] == "CUB"}
            assert {r.account: r.balance for r in svc.balances(uow, party="CUB")} == owned
            for r in rows:
                assert (r.unit, r.scale) == (model.specs[r.account].unit, SCALES[r.unit])
            per_unit: dict[str, int] = defaultdict(int)
            for r in rows:
                per_unit[r.unit] += r.balance
            assert not any(per_unit.values()), f"balances do not sum to zero: {per_unit}"

            latest = model.txns[-1].date if model.txns else FIRST_DAY
            for day in [*self.probes[-MAX_PROBES:], latest, latest - timedelta(days=1)]:
                stored = {r.account: r.balance for r in svc.balances(uow, as_of=day)}
                assert stored == model.balances(day), f"balances as of {day}"

            if records:  # as known when the middle record was written: its batch and earlier
                moment = records[len(records) // 2].recorded_at
                known = [r.txn for r in records if r.recorded_at <= moment]
                stored = {r.account: r.balance for r in svc.balances(uow, known_at=moment)}
                assert stored == model.balances(txns=known), f"balances known at {moment}"

            # The tightest day-ends of every bounded account, as the store answers them.
            for spec in model.bounded():
                ends = model.day_ends(spec.name)
                for day, balance in {min(ends, key=lambda e: e[1]), max(ends, key=lambda e: e[1])}:
                    assert svc.account_balance(uow, spec.name, as_of=day) == balance
                    assert not spec.breaks_bound(balance), f"{spec.name} on {day}: {balance}"
        assert model.bound_breaks(model.txns) == [], "a bounded account left its bounds"


# -- running it ------------------------------------------------------------------------


class SqliteLedgerMachine(LedgerMachine):
    """Each example on a new SQLite file: a copy of one migrated once, in a new directory."""

    template: ClassVar[Path]

    def create_database(self) -> str:
        self.directory = Path(tempfile.mkdtemp(prefix="convenio-stateful-"))
        shutil.copyfile(self.template, self.directory / "ledger.db")
        return f"sqlite:///{self.directory / 'ledger.db'}"

    def drop_database(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class PostgresLedgerMachine(LedgerMachine):
    """Each example in a new PostgreSQL schema, dropped in `teardown`."""

    admin: ClassVar[Engine]
    base_url: ClassVar[str]

    def create_database(self) -> str:
        self.schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {self.schema}"))
        return f"{self.base_url}?options=-csearch_path%3D{self.schema}"

    def drop_database(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))


def test_ledger_state_machine_sqlite(tmp_path: Path) -> None:
    SqliteLedgerMachine.template = tmp_path / "migrated.db"
    Store(f"sqlite:///{SqliteLedgerMachine.template}").close()  # migrations run once
    run_state_machine_as_test(
        SqliteLedgerMachine,
        settings=settings(max_examples=30, stateful_step_count=15, deadline=None),
    )


def test_ledger_state_machine_postgresql(pg_url: str) -> None:
    PostgresLedgerMachine.base_url = pg_url
    PostgresLedgerMachine.admin = create_engine(pg_url)
    try:
        run_state_machine_as_test(
            PostgresLedgerMachine,
            settings=settings(max_examples=8, stateful_step_count=10, deadline=None),
        )
    finally:
        PostgresLedgerMachine.admin.dispose()


# -- what the state machine keeps away from ---------------------------------------------
#
# The machine draws text without NUL, short ids and kinds, sorted metadata and amounts far
# below 64 bits. Beyond those limits the service must still answer with an InputError (or
# record something that verifies); it must never fail with a driver error, nor accept a
# write after which `verify` fails.

DAY = date(2025, 3, 1)
A, B = "VEN/cash/USD-a", "CUB/cash/USD-b"


def pair(
    txn_id: str, amount: int, day: date = DAY, description: str = "", **fields: Any
) -> Transaction:
    postings = (Posting(A, amount, "USD"), Posting(B, -amount, "USD"))
    return Transaction(txn_id, day, description, postings, **fields)


UNSTORABLE: dict[str, list[list[Transaction]]] = {
    "id longer than 200 characters": [[pair("x" * 201, 1)]],
    "kind longer than 40 characters": [[pair("t1", 1, kind="k" * 41)]],
    "NUL in the description": [[pair("t1", 1, description="a\x00b")]],
    "metadata not sorted by key": [[pair("t1", 1, metadata=(("z", "1"), ("a", "2")))]],
    "metadata key given twice": [[pair("t1", 1, metadata=(("a", "1"), ("a", "2")))]],
    "a day total beyond 64 bits": [
        [
            Transaction(
                "t1",
                DAY,
                "",
                (
                    Posting(A, 2**62, "USD"),
                    Posting(A, 2**62, "USD"),
                    Posting(B, -(2**62), "USD"),
                    Posting(B, -(2**62), "USD"),
                ),
            )
        ]
    ],
    "a balance beyond 64 bits over two posts": [
        [pair("t1", MAX_AMOUNT)],
        [pair("t2", MAX_AMOUNT, DAY + timedelta(days=40))],
    ],
}


@pytest.mark.parametrize("case", sorted(UNSTORABLE))
def test_what_the_store_cannot_hold_is_refused_as_input(store: Store, case: str) -> None:
    with store.unit_of_work(write=True) as uow:
        svc.open_accounts(uow, [LocatedAccount(AccountSpec(n, "USD"), "test", None)
                                for n in (A, B)])  # fmt: skip
    accepted: list[Transaction] = []
    for batch in UNSTORABLE[case]:
        with store.unit_of_work() as uow:
            before = snapshot(uow)
        try:
            with store.unit_of_work(write=True) as uow:
                svc.post(uow, located(batch))
        except InputError:
            with store.unit_of_work() as uow:
                assert snapshot(uow) == before
            continue
        accepted.extend(batch)
        with store.unit_of_work() as uow:
            svc.verify(uow)  # what was accepted must verify ...
        with store.unit_of_work(write=True) as uow:
            assert svc.post(uow, located(batch)).posted == 0  # ... and replay as a no-op
    expected = LedgerModel()
    expected.specs = {A: AccountSpec(A, "USD"), B: AccountSpec(B, "USD")}
    with store.unit_of_work() as uow:
        svc.verify(uow)
        stored = {r.account: r.balance for r in svc.balances(uow)}
    assert stored == expected.balances(txns=accepted)


UNSTORABLE_ACCOUNTS = {
    "name longer than 200 characters": AccountSpec("VEN/" + "x" * 200, "USD"),
    "party code longer than 64 characters": AccountSpec("V" * 70 + "/cash", "USD"),
    "floor beyond 64 bits": AccountSpec("VEN/cash/deep", "USD", floor=-(2**64)),
}


@pytest.mark.parametrize("case", sorted(UNSTORABLE_ACCOUNTS))
def test_accounts_the_store_cannot_hold_are_refused_as_input(store: Store, case: str) -> None:
    spec = UNSTORABLE_ACCOUNTS[case]
    try:
        with store.unit_of_work(write=True) as uow:
            svc.open_accounts(uow, [LocatedAccount(spec, "test", 1)])
    except InputError:
        expected = {}
    else:
        expected = {spec.name: spec}
    with store.unit_of_work() as uow:
        assert uow.ledger.accounts() == expected
