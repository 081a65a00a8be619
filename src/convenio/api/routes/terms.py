"""The terms: parties, versions, one version's rules, and loading a terms file — the
capabilities of ``convenio parties`` and ``convenio terms show|load``.

The terms of a treaty are public: anyone, signed in or not, reads the parties and the
versions. Only an administrator loads terms. Exact values are decimal strings; rates are
fractions (``0.02`` is 2 %), as the CLI's ``--json`` writes them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as Exact
from typing import Annotated, Final

from fastapi import APIRouter, Header, Path
from pydantic import BaseModel
from starlette.responses import Response

from convenio.api.deps import CanReadPublic, CanWriteTerms, RawBody, Reader
from convenio.api.problems import PROBLEMS
from convenio.api.schemas import Decimal
from convenio.api.tables import as_upload
from convenio.api.writes import WriteDep
from convenio.errors import InputError, Problem
from convenio.missions.values import format_number
from convenio.services import catalog
from convenio.services.financing import load_terms_file
from convenio.store import UnitOfWork
from convenio.terms import Agreement, AgreementVersion, LoanTerms

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["terms"], responses=PROBLEMS)

YAML_TYPES: Final = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


# -- parties -------------------------------------------------------------------------


class PartyRead(BaseModel):
    """A party: its code (what ``party`` and the files ask for), name, kind and the
    party an agency or company belongs to."""

    code: str
    name: str
    kind: str
    parent: str | None


class Parties(BaseModel):
    parties: list[PartyRead]


@router.get("/parties", response_model=Parties)
def parties(uow: Reader, who: CanReadPublic) -> Parties:
    """The parties of the current terms, in the terms' order (none before terms are
    loaded). Public."""
    rows = catalog.parties(uow)
    return Parties(
        parties=[PartyRead(code=r.code, name=r.name, kind=r.kind, parent=r.parent) for r in rows]
    )


# -- versions ------------------------------------------------------------------------


class VersionSummary(BaseModel):
    id: str
    name: str
    effective: date
    ends: date | None
    inherits: str | None
    source: str


class TermsVersions(BaseModel):
    """The agreement (null before terms are loaded) and its versions by effective date."""

    agreement: str | None
    versions: list[VersionSummary]


@router.get("/terms/versions", response_model=TermsVersions)
def versions(uow: Reader, who: CanReadPublic) -> TermsVersions:
    """The versions of the current terms: id, name, effective date, end, the version it
    inherits from and its source. Public."""
    agreement = catalog.stored_agreement(uow)
    rows = catalog.terms_versions(uow)
    return TermsVersions(
        agreement=None if agreement is None else agreement.agreement.id,
        versions=[VersionSummary(**r._asdict()) for r in rows],
    )


class PriceFloor(BaseModel):
    price: Decimal
    currency: str
    per: str


class Pricing(BaseModel):
    reference_series: str
    price_unit: str
    rule: str
    floor: PriceFloor | None


class LateInterest(BaseModel):
    rate: Decimal
    after_days: int
    day_count: str


class ShortTerm(BaseModel):
    days: int
    late_interest: LateInterest | None


class Band(BaseModel):
    at_or_above: Decimal
    share: Decimal
    own_loan: bool


class Loan(BaseModel):
    applies: str
    months: int
    grace_months: int
    rate: Decimal
    method: str
    frequency: str
    day_count: str
    grace_interest: str


class RateCard(BaseModel):
    item: str
    price: Decimal
    currency: str
    per: str


class Settlement(BaseModel):
    period: str
    parties: list[str]
    services_may_pay: list[str]
    allocation_order: list[str]
    cash_currency: str
    overpayment: str


class TermsVersionRead(BaseModel):
    """One version, resolved (what it inherits included): pricing, short-term credit,
    financing bands, loan terms, rate cards and settlement rules."""

    agreement: str
    id: str
    name: str
    effective: date
    ends: date | None
    inherits: str | None
    source: str
    pricing: Pricing | None
    short_term: ShortTerm | None
    bands: list[Band]
    loans: list[Loan]
    rate_cards: list[RateCard]
    settlement: Settlement | None


def _exact(value: Exact) -> str:
    """An exact decimal as stated (``25.00`` keeps its decimals)."""
    return format(value, "f")


def _rate(fraction: Exact) -> str:
    """A rate as its shortest exact fraction (``0.02``)."""
    return format_number(fraction)


def _loan(applies: str, loan: LoanTerms) -> Loan:
    return Loan(
        applies=applies, months=loan.months, grace_months=loan.grace_months,
        rate=_rate(loan.rate), method=loan.method.value, frequency=loan.frequency.value,
        day_count=loan.day_count.value, grace_interest=loan.grace_interest.value,
    )  # fmt: skip


def _pricing(agreement: Agreement, v: AgreementVersion) -> Pricing | None:
    if v.pricing is None:
        return None
    floor = v.pricing.floor
    return Pricing(
        reference_series=v.pricing.reference_series,
        price_unit=agreement.price_unit(v),
        rule=v.pricing.rule.value,
        floor=None
        if floor is None
        else PriceFloor(price=_exact(floor.price), currency=floor.currency, per=floor.per),
    )


def _short_term(v: AgreementVersion) -> ShortTerm | None:
    if v.financing is None:
        return None
    short = v.financing.short_term
    late = short.late_interest
    return ShortTerm(
        days=short.days,
        late_interest=None
        if late is None
        else LateInterest(
            rate=_rate(late.rate), after_days=late.after_days, day_count=late.day_count.value
        ),
    )


def _bands(v: AgreementVersion) -> list[Band]:
    """The financing bands: from which reference price, which share is financed."""
    if v.financing is None:
        return []
    return [
        Band(at_or_above=_exact(b.at_or_above), share=_rate(b.share), own_loan=b.loan is not None)
        for b in v.financing.bands
    ]


def _settlement(v: AgreementVersion) -> Settlement | None:
    s = v.settlement
    if s is None:
        return None
    return Settlement(
        period=s.period.value, parties=list(s.parties),
        services_may_pay=[k.value for k in s.services_may_pay],
        allocation_order=[step.value for step in s.allocation_order],
        cash_currency=s.cash_currency, overpayment=s.overpayment.value,
    )  # fmt: skip


@router.get("/terms/versions/{version_id}", response_model=TermsVersionRead)
def version(
    uow: Reader,
    who: CanReadPublic,
    version_id: Annotated[str, Path(description="A version's id (`/terms/versions` lists them)")],
) -> TermsVersionRead:
    """One version of the current terms with exact values: pricing, short-term credit and
    late interest, financing bands, loan terms, rate cards and settlement rules. Public."""
    agreement = catalog.stored_agreement(uow)
    found = catalog.terms_version(uow, version_id)
    if agreement is None or found is None:
        raise InputError(
            "no terms in this store: an administrator loads them (POST /api/v1/terms)",
            [Problem("no terms loaded", field="version_id")],
        )
    v = found
    return TermsVersionRead(
        agreement=agreement.agreement.id, id=v.id, name=v.name, effective=v.effective,
        ends=v.ends, inherits=v.inherits, source=" ".join(v.source.split()),
        pricing=_pricing(agreement, v), short_term=_short_term(v), bands=_bands(v),
        loans=[_loan(applies, loan) for applies, loan in v.loans()],
        rate_cards=[RateCard(item=c.item, price=_exact(c.price), currency=c.currency, per=c.per)
                    for c in v.rate_cards],
        settlement=_settlement(v),
    )  # fmt: skip


# -- loading -------------------------------------------------------------------------


class TermsLoaded(BaseModel):
    """The agreement loaded, its versions, and whether the store's terms changed (false:
    the same file was already current)."""

    agreement: str
    versions: list[str]
    changed: bool


_YAML_BODY: Final = {
    "requestBody": {
        "required": True,
        "description": "A terms file (YAML, UTF-8), as `convenio terms load` reads it",
        "content": {t: {"schema": {"type": "string"}} for t in YAML_TYPES[::2]},
    }
}


@router.post("/terms", status_code=201, response_model=TermsLoaded, openapi_extra=_YAML_BODY)
def load_terms(
    who: CanWriteTerms,
    write: WriteDep,
    body: RawBody,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Check a terms file and make it the store's current terms (an amendment is a new
    file with more versions; the same file again changes nothing). Its problems are
    located by line and field of the file (``errors[].line``). Administrators only."""
    media = (content_type or "").partition(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise InputError(
            f"send the terms as YAML (Content-Type: application/yaml), not {media or 'nothing'}",
            [Problem("not YAML", field="Content-Type")],
        )

    def work(uow: UnitOfWork) -> tuple[Agreement, bool]:
        with as_upload(body, ".yaml") as path:
            return load_terms_file(uow, path, source=f"POST /api/v1/terms by {who.name}")

    return write.run(
        who,
        work,
        lambda r: TermsLoaded(
            agreement=r[0].agreement.id, versions=[v.id for v in r[0].versions], changed=r[1]
        ),
        lambda r: f"terms {r[0].agreement.id}: {'loaded' if r[1] else 'already current'}",
    )
