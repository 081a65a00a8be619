"""Where each figure of a settlement statement came from: for every allocation of a run,
the logged transaction that recorded the claim it pays or offsets, and the check of a
signed statement's allocations against the run's log entry and against the store.

Claims are not log entries, but each was written in the same unit of work as a logged
transaction, and the store says which one (`claims.source`, `tranches.delivery_id`):

- a delivery's claims (its short-term part, its services or goods invoice):
  ``claims.source`` is the delivery, whose value transaction ``dlv:<delivery>:value``
  booked them;
- a tranche's installments and interest: ``claims.source`` is the tranche, and the
  tranche's ``delivery_id`` the delivery whose value transaction booked the financed part
  its schedule follows from (interest reaches the ledger month by month, by accruals);
- late interest: ``claims.source`` is the short-term claim charged, and the month's
  transaction ``late:<creditor>><debtor>:<digest>:<YYYY-MM>`` lists that claim in its
  own source (`convenio.financing.late.late_charge_transactions`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from convenio.errors import InputError, IntegrityError
from convenio.financing.claims import Claim, ClaimType
from convenio.log.records import RUN, read_entry
from convenio.store import UnitOfWork
from convenio.store.tables import transactions

__all__ = [
    "TracedAllocation",
    "allocations_digest",
    "check_sources",
    "read_allocations",
    "recording_transactions",
    "run_allocations",
    "trace",
]

_SOURCE_LIMIT = 200
"""A late-interest transaction's source lists its claims up to this many characters."""


@dataclass(frozen=True)
class TracedAllocation:
    """An allocation of a settlement run (`amount` minor units of the run's currency paid
    or offset on `claim`, by `method`, against a payment or another claim) and the logged
    transaction that recorded its claim."""

    claim: str
    amount: int
    method: str
    against: str
    source_transaction: str

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def allocations_digest(traced: Sequence[TracedAllocation]) -> bytes:
    """SHA-256 of the allocations as canonical JSON (keys sorted, no spaces, UTF-8)."""
    canonical = json.dumps(
        [a.as_json() for a in traced], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).digest()


def run_allocations(entry: bytes, run_id: str) -> list[tuple[str, int, str, str]]:
    """The allocations (claim, amount, method, against), in order, of the log entry of
    settlement run `run_id`; `IntegrityError` if `entry` is not that."""
    read = read_entry(entry)
    if (read.kind, read.key) != (RUN, run_id):
        raise IntegrityError(f"the run entry is of {read.kind} {read.key}, not of run {run_id}")
    try:
        return [
            (str(claim), _int(amount), str(method), str(against))
            for claim, amount, method, against in read.fields["allocations"]
        ]
    except (KeyError, TypeError, ValueError):
        raise IntegrityError(f"the entry of run {run_id} has no readable allocations") from None


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value


# -- the transaction that recorded a claim ------------------------------------------------


def recording_transactions(uow: UnitOfWork, claim_ids: Collection[str]) -> dict[str, str]:
    """Per claim of `claim_ids`, the id of the logged transaction that recorded it, as the
    store says (the module's rule); `IntegrityError` for a claim the store does not hold
    or whose transaction it cannot name."""
    stored = uow.financing.claims_by_id(claim_ids)
    found: dict[str, str] = {}
    for claim_id in claim_ids:
        if claim_id not in stored:
            raise IntegrityError(f"claim {claim_id} is not in this store")
        claim, tranche_delivery = stored[claim_id]
        if claim.type is ClaimType.LATE_INTEREST:
            found[claim_id] = _late_transaction(uow, claim)
            continue
        if claim.type in (ClaimType.INSTALLMENT, ClaimType.INTEREST):
            if tranche_delivery is None:
                raise IntegrityError(f"claim {claim_id} names tranche {claim.source}, not stored")
            found[claim_id] = f"dlv:{tranche_delivery}:value"
        else:
            found[claim_id] = f"dlv:{claim.source}:value"
    return found


def _late_transaction(uow: UnitOfWork, claim: Claim) -> str:
    """The late-interest transaction that charged `claim` (its month's, between its
    parties, listing the short-term claim `claim.source` in its source)."""
    t = transactions.c
    month = f"{claim.issued.year:04d}-{claim.issued.month:02d}"
    rows = uow.connection.execute(
        select(t.id, t.source).where(
            t.kind == "accrual",
            t.id.startswith(f"late:{claim.creditor}>{claim.debtor}:", autoescape=True),
            t.id.endswith(f":{month}", autoescape=True),
        )
    ).all()
    listed = [r.id for r in rows if claim.source in _complete(r.source)]
    if not listed:  # a long list is cut: the claim may be past the cut
        listed = [r.id for r in rows if _maybe_cut(r.source, claim.source)]
    if len(listed) != 1:
        which = "none" if not listed else ", ".join(sorted(listed))
        raise IntegrityError(
            f"claim {claim.id}: the store holds {len(listed)} late-interest transaction(s) "
            f"of {month} charging {claim.source} ({which}), not one"
        )
    return str(listed[0])


def _complete(source: str) -> list[str]:
    """The claim ids a late-interest transaction's source lists whole."""
    names = source.split(",")
    return names[:-1] if len(source) >= _SOURCE_LIMIT else names


def _maybe_cut(source: str, claim_id: str) -> bool:
    """Whether `claim_id` may be among those a cut source leaves out (they sort last)."""
    if len(source) < _SOURCE_LIMIT:
        return False
    *whole, partial = source.split(",")
    return (not whole or claim_id > whole[-1]) and claim_id.startswith(partial)


def trace(uow: UnitOfWork, entry: bytes, run_id: str) -> list[TracedAllocation]:
    """The allocations of run `run_id`'s log `entry`, each with the transaction that
    recorded its claim."""
    allocated = run_allocations(entry, run_id)
    sources = recording_transactions(uow, {claim for claim, _, _, _ in allocated})
    return [TracedAllocation(*a, sources[a[0]]) for a in allocated]


# -- a bundle's allocations checked -------------------------------------------------------

_FIELDS = ("claim", "amount", "method", "against", "source_transaction")


def read_allocations(
    listed: object, entry: bytes, run_id: str
) -> list[tuple[TracedAllocation, Any]]:
    """A bundle's ``allocations`` (each with its proof, unchecked) once each equals, in
    order, the allocation of run `run_id`'s entry: `IntegrityError` naming the first
    that does not, `InputError` if they are malformed."""
    if not isinstance(listed, list) or not all(isinstance(a, dict) for a in listed):
        raise InputError("the statement bundle's 'allocations' is not a list of objects")
    read: list[tuple[TracedAllocation, Any]] = []
    for i, item in enumerate(listed):
        claim, amount, method, against, source = (item.get(name) for name in _FIELDS)
        if not (
            isinstance(claim, str)
            and isinstance(amount, int)
            and not isinstance(amount, bool)
            and isinstance(method, str)
            and isinstance(against, str)
            and isinstance(source, str)
        ):
            raise InputError(f"allocation {i} of the statement bundle is malformed")
        read.append((TracedAllocation(claim, amount, method, against, source), item.get("proof")))
    allocated = run_allocations(entry, run_id)
    if len(read) != len(allocated):
        raise IntegrityError(
            f"the bundle lists {len(read)} allocation(s), the entry of run {run_id} "
            f"{len(allocated)}"
        )
    for i, ((traced, _), (claim, amount, method, against)) in enumerate(
        zip(read, allocated, strict=True)
    ):
        ours = {"claim": claim, "amount": amount, "method": method, "against": against}
        for name, value in ours.items():
            if getattr(traced, name) != value:
                raise IntegrityError(
                    f"allocation {i} (claim {claim}): its {name} {getattr(traced, name)!r} is "
                    f"not the run's {value!r} (the entry of run {run_id})"
                )
    return read


def check_sources(uow: UnitOfWork, traced: Sequence[TracedAllocation]) -> None:
    """`IntegrityError` naming the first allocation whose source transaction is not the
    one the store says recorded its claim."""
    sources = recording_transactions(uow, {a.claim for a in traced})
    for i, a in enumerate(traced):
        if sources[a.claim] != a.source_transaction:
            raise IntegrityError(
                f"allocation {i} (claim {a.claim}) names {a.source_transaction} as its "
                f"source, but this store recorded the claim with {sources[a.claim]}"
            )
