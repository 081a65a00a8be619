"""Late interest through the store: `convenio settle` and `convenio accrue` charge it on
the unpaid short-term part, from day 30 of the invoice, month by month, once the
settlement runs say what was paid and when; the next run settles it. SQLite and
PostgreSQL.

The case, worked by hand (cents; act/360 at 2 %: cent-days × 0.02 / 360):

- 1,000 bbl of crude on 15 Oct 2011 at 100.00 USD = 10,000,000, all short-term, due in
  90 days; late interest from 15 Oct + 30 days = 14 Nov.
- 60,000.00 USD paid in cash on 1 Dec; the 2011Q4 run applies it from that day.
- November: 17 days (14–30 Nov) × 10,000,000 = 170,000,000 cent-days → 9,444.44 → 9,444.
- Through 31 Dec: + 31 days × 4,000,000 = 294,000,000 → 16,333.33 → 16,333; December
  16,333 − 9,444 = 6,889.
- 40,163.33 USD paid on 15 Feb 2012: the 2012Q1 run pays the late interest first (the
  terms' order: late-interest, interest, oldest-due), 9,444 + 6,889, then the 4,000,000.
- Through 31 Jan: + 31 × 4,000,000 = 418,000,000 → 23,222.22 → 23,222; January 6,889.
- Through 29 Feb: + 14 days (1–14 Feb) × 4,000,000 = 474,000,000 → 26,333.33 → 26,333;
  February 26,333 − 23,222 = 3,111. March: nothing is unpaid.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from convenio.examples import EXAMPLES
from convenio.financing.claims import ClaimType
from convenio.services import financing as fin
from convenio.services import ledger
from convenio.services import settlement as svc
from convenio.store import Store

LATE_VERSION = """
  - id: test-late
    inherits: previous
    name: cash at 90 days, 2 % a year after day 30 of the invoice
    effective: 2011-10-01
    financing:
      short_term:
        days: 90
        late_interest: {rate: 2%, after_days: 30, day_count: act/360}
      bands: []
"""
PRICES = "series,date,price\nven-basket,2011-10-03,100.00\n"
DELIVERIES = (
    "delivery_id,date,supplier,recipient,kind,item,quantity,unit,price\n"
    "oil-10,2011-10-15,VEN.PDVSA,CUB.CUPET,commodity,crude,1000,bbl,100.00\n"
)
PAYMENTS = (
    "payment_id,date,payer,payee,amount,currency\n"
    "bnc-1,2011-12-01,CUB.BNC,VEN.PDVSA,60000.00,USD\n"
    "bnc-2,2012-02-15,CUB.BNC,VEN.PDVSA,40163.33,USD\n"
)
CLAIM = "inv:oil-10:st"


def load(store: Store, tmp_path: Path) -> None:
    files = {
        "terms.yaml": EXAMPLES.joinpath("cuba-venezuela.yaml").read_text(encoding="utf-8")
        + LATE_VERSION,
        "prices.csv": PRICES,
        "deliveries.csv": DELIVERIES,
        "payments.csv": PAYMENTS,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with store.unit_of_work(write=True) as uow:
        fin.load_terms_file(uow, tmp_path / "terms.yaml")
    with store.unit_of_work(write=True) as uow:
        fin.load_prices(uow, tmp_path / "prices.csv")
    with store.unit_of_work(write=True) as uow:
        fin.load_deliveries(uow, tmp_path / "deliveries.csv")
    with store.unit_of_work(write=True) as uow:
        fin.load_payments(uow, tmp_path / "payments.csv")


def charged(store: Store) -> dict[str, int]:
    with store.unit_of_work() as uow:
        found = uow.financing.claims_of_type(ClaimType.LATE_INTEREST)
    assert all(c.source == CLAIM and c.issued == c.due for c in found)
    return {c.id.removeprefix(f"late:{CLAIM}:"): c.amount for c in found}


def balance(store: Store, account: str, as_of: date) -> int:
    with store.unit_of_work() as uow:
        rows = ledger.balances(uow, as_of=as_of)
    return sum(r.balance for r in rows if r.account == account)


def test_late_interest_is_charged_on_the_unpaid_part_and_settled_next(
    store: Store, tmp_path: Path
) -> None:
    load(store, tmp_path)
    # Nothing settled yet: what was paid is unknown, so nothing is charged.
    with store.unit_of_work(write=True) as uow:
        fin.accrue(uow, date(2011, 12, 31))
    assert charged(store) == {}

    with store.unit_of_work(write=True) as uow:
        svc.run_settlement(uow, "2011Q4")
    assert charged(store) == {"2011-11": 9_444, "2011-12": 6_889}
    # January's payments are not known before 2012Q1 is settled.
    with store.unit_of_work(write=True) as uow:
        fin.accrue(uow, date(2012, 1, 31))
    assert charged(store) == {"2011-11": 9_444, "2011-12": 6_889}

    with store.unit_of_work(write=True) as uow:
        (outcome,) = svc.run_settlement(uow, "2012Q1")
    assert charged(store) == {
        "2011-11": 9_444, "2011-12": 6_889, "2012-01": 6_889, "2012-02": 3_111,
    }  # fmt: skip
    with store.unit_of_work() as uow:
        open_claims = dict(uow.financing.open_claims())
        allocated = uow.financing.allocated_totals()
    # Q1's cash paid the late interest of Q4, then the short-term part, exactly.
    assert allocated[f"late:{CLAIM}:2011-11"] == 9_444
    assert allocated[f"late:{CLAIM}:2011-12"] == 6_889
    assert allocated[CLAIM] == 10_000_000
    assert sorted((c.id, left) for c, left in open_claims.items()) == [
        (f"late:{CLAIM}:2012-01", 6_889),
        (f"late:{CLAIM}:2012-02", 3_111),
    ]
    statement = outcome.run.statement
    assert statement["period"] == "2012Q1"
    # The ledger agrees: both sides of the charges, less what Q1 paid.
    owed = 9_444 + 6_889 + 6_889 + 3_111 - (9_444 + 6_889)
    assert balance(store, "VEN.PDVSA/claims/late-interest/CUB.CUPET", date(2012, 3, 31)) == owed
    assert balance(store, "CUB.CUPET/payable/late-interest/VEN.PDVSA", date(2012, 3, 31)) == -owed
    assert balance(store, "VEN.PDVSA/claims/late-interest/CUB.CUPET", date(2011, 11, 30)) == 9_444

    # Idempotent: settling and accruing again change nothing.
    with store.unit_of_work() as uow:
        head = uow.ledger.head()
    with store.unit_of_work(write=True) as uow:
        svc.run_settlement(uow, "2012Q1")
    with store.unit_of_work(write=True) as uow:
        again = fin.accrue(uow, date(2012, 12, 31))
    assert again.added == 0 and again.posted == 0
    with store.unit_of_work() as uow:
        assert uow.ledger.head() == head
    assert sum(charged(store).values()) == 26_333
