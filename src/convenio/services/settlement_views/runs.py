"""The runs as the settlement page lists them: each with who signed it, whom it awaits
and what the reader may do to it; and the net position by period between two states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from convenio.auth import Action, Principal, Role
from convenio.periods import parse_period
from convenio.services.settlement import may_settle, reads_run
from convenio.services.signoffs import Signoff, awaiting, signers_of, signoffs_of_runs
from convenio.store import UnitOfWork
from convenio.store.financing_repo import ACTIVE, RunRow
from convenio.terms import state_of

__all__ = ["NetSeries", "RunLine", "RunsView", "may_reopen", "may_sign", "net_series", "runs_view"]


@dataclass(frozen=True)
class RunLine:
    """A run as the list shows it, with who signed it and who has not yet."""

    run: RunRow
    signers: tuple[str, str]
    signoffs: tuple[Signoff, ...]
    awaiting: tuple[str, ...]
    may_sign: bool
    may_reopen: bool

    @property
    def net(self) -> Mapping[str, str | None]:
        net: Mapping[str, str | None] = self.run.statement["net"]
        return net


@dataclass(frozen=True)
class NetSeries:
    """What `debtor` owed `creditor` net before cash, period by period (oldest first; a
    negative amount: what `creditor` owed `debtor`), summed over the period's runs."""

    debtor: str
    creditor: str
    points: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class RunsView:
    lines: tuple[RunLine, ...]
    years: tuple[int, ...]
    year: int | None
    may_settle: bool
    net: NetSeries | None


def net_series(runs: Sequence[RunRow]) -> NetSeries | None:
    """The net position of the settled runs of `runs` by period, between two states (the
    parties' top parties: VEN.PDVSA counts as VEN); oriented as the latest run's net
    (its debtor's state owes). None when there is no settled run, or when the runs are
    between more than two states (a multilateral clearing has no one line)."""
    settled = [r for r in runs if r.status == ACTIVE]
    if not settled:
        return None
    states = {s for r in settled for s in signers_of(r)}
    if len(states) != 2:
        return None
    latest = max(settled, key=lambda r: parse_period(r.period).end).statement["net"]
    debtor = state_of(latest["debtor"] or settled[-1].party_b)
    (creditor,) = states - {debtor}
    totals: dict[str, Decimal] = {}
    for run in sorted(settled, key=lambda r: (parse_period(r.period).end, r.id)):
        net = run.statement["net"]
        amount = Decimal(net["amount"]) if net["debtor"] else Decimal(0)
        sign = 1 if net["debtor"] is None or state_of(net["debtor"]) == debtor else -1
        totals[run.period] = totals.get(run.period, Decimal(0)) + sign * amount
    return NetSeries(debtor, creditor, tuple(totals.items()))


def may_sign(who: Principal, run: RunRow, left: Sequence[str]) -> bool:
    """Whether `who` signs `run` now: a commission of one of the signers it awaits."""
    return (
        who.role is Role.COMMISSION
        and who.may(Action.SETTLE)
        and run.status == ACTIVE
        and who.party in left
    )


def may_reopen(who: Principal, run: RunRow) -> bool:
    """Whether `who` reopens settled `run`: a user (not the operator) who settles its pair."""
    return (
        who.may(Action.SETTLE)
        and not who.operator
        and run.status == ACTIVE
        and may_settle(who, run.party_a, run.party_b)
    )


def _year(run: RunRow) -> int:
    return parse_period(run.period).start.year


def runs_view(uow: UnitOfWork, who: Principal, year: int | None = None) -> RunsView:
    """Every run the reader reads in detail (`services.settlement.reads_run`: settled and
    reopened), newest period first, of `year` only if given; with what each still awaits
    and what `who` may do to it."""
    who.require(Action.READ_LEDGER)
    runs = [r for r in uow.financing.runs(status=None) if reads_run(who, r, detail=True)]
    years = tuple(sorted({_year(r) for r in runs}, reverse=True))
    shown = [r for r in reversed(runs) if year is None or _year(r) == year]
    done = signoffs_of_runs(uow, [r.id for r in shown])
    lines = []
    for run in shown:
        left = tuple(awaiting(run, done[run.id])) if run.status == ACTIVE else ()
        lines.append(
            RunLine(
                run,
                signers_of(run),
                tuple(done[run.id]),
                left,
                may_sign(who, run, left),
                may_reopen(who, run),
            )
        )
    net = net_series(list(reversed(shown)))
    return RunsView(tuple(lines), years, year, who.may(Action.SETTLE), net)
