"""Financing over the API: the tutorial's prices, deliveries and payments posted by the
treasuries that may post them, as JSON or as the CLI's files; accrual; tranches and a
schedule checked against figures worked by hand; refusals that write nothing."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook

from convenio.api.routes.financing import XLSX
from convenio.financing.deliveries import DELIVERY_COLUMNS
from convenio.financing.prices import series_issuers
from convenio.services import access
from convenio.store import Store
from convenio.terms import load_terms
from tests.api.conftest import EXAMPLES, TUTORIAL, bearer

CENT = Decimal("0.01")


def rows(name: str) -> list[dict[str, str]]:
    """The records of an example CSV file, as JSON objects (empty cells left out)."""
    with (EXAMPLES / name).open(encoding="utf-8", newline="") as f:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


def post(client: TestClient, path: str, token: str, body: Any, key: str | None = None) -> Any:
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(path, json=body, headers=headers)


def load_tutorial(client: TestClient, people: dict[str, str]) -> None:
    """Docs/tutorial.md's section 3 over the API: XAT quotes diesel and ships it, XBO
    sends teachers and nurses and pays."""
    deliveries = rows("deliveries.csv")
    steps = [
        ("/api/v1/prices", "treasury-XAT", rows("prices.csv")),
        ("/api/v1/deliveries", "treasury-XAT", [d for d in deliveries if d["supplier"] == "XAT"]),
        ("/api/v1/deliveries", "treasury-XBO", [d for d in deliveries if d["supplier"] == "XBO"]),
        ("/api/v1/payments", "treasury-XBO", rows("payments.csv")),
    ]
    for path, who, body in steps:
        answer = post(client, path, people[who], body)
        assert answer.status_code == 201, answer.text


def month_average(month: str) -> Decimal:
    quotes = [Decimal(r["price"]) for r in rows("prices.csv") if r["date"].startswith(month)]
    return sum(quotes, Decimal(0)) / len(quotes)


def audit_count(store: Store) -> int:
    with store.unit_of_work() as uow:
        return len(access.audit_entries(uow))


def test_the_issuer_of_a_series_supplies_the_commodity_it_prices() -> None:
    # diesel-gulf prices XAT's diesel; XBO's teachers and nurses are priced by rate cards.
    assert series_issuers(load_terms(TUTORIAL)) == {"diesel-gulf": frozenset({"XAT"})}
    # In the Cuba–Venezuela terms the Venezuelan basket prices PDVSA's crude and fuels.
    cuba = load_terms(EXAMPLES / "cuba-venezuela.yaml")
    assert series_issuers(cuba) == {"ven-basket": frozenset({"VEN.PDVSA"})}


def test_the_tutorial_loads_and_is_valued_as_worked_by_hand(
    client: TestClient, people: dict[str, str]
) -> None:
    load_tutorial(client, people)
    # January's cargo: 25,000 bbl at January's average; 30 % lent above 90 USD.
    january = month_average("2024-01")
    assert january == Decimal("92.00")
    value = Decimal(25000) * january
    lent = (value * Decimal("0.30")).quantize(CENT)
    assert lent == Decimal("690000.00")

    found = client.get("/api/v1/tranches", headers=bearer(people["auditor"]))
    assert found.status_code == 200
    by_id = {t["tranche"]: t for t in found.json()["tranches"]}
    assert sorted(by_id) == [f"tr:D-240{n}" for n in range(1, 7)]
    first = by_id["tr:D-2401"]
    assert (first["principal"], first["creditor"], first["debtor"]) == ("690000.00", "XAT", "XBO")
    assert (first["rate"], first["months"], first["grace_months"]) == ("0.02", 120, 12)

    schedule = client.get(
        "/api/v1/tranches/tr:D-2401/schedule", headers=bearer(people["treasury-XBO"])
    )
    assert schedule.status_code == 200
    rows_ = schedule.json()["installments"]
    assert len(rows_) == 40  # ten years, quarterly
    # A 30E/360 quarter at 2 % a year on 690,000.00, paid during the year of grace.
    quarter = (lent * Decimal("0.02") * 90 / 360).quantize(CENT)
    assert rows_[0]["interest"] == str(quarter) == "3450.00"
    assert rows_[0]["principal"] == "0.00"
    principals = [Decimal(r["principal"]) for r in rows_]
    assert sum(principals) == lent and principals[:4] == [0] * 4
    assert rows_[-1]["closing"] == "0.00"


def test_a_file_loads_as_json_does(client: TestClient, people: dict[str, str]) -> None:
    prices = (EXAMPLES / "prices.csv").read_bytes()
    headers = bearer(people["treasury-XAT"]) | {"Content-Type": "text/csv"}
    answer = client.post("/api/v1/prices", content=prices, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["added"] == len(rows("prices.csv"))

    # The same deliveries as an .xlsx sheet; then, as JSON, they are all already stored.
    mine = [d for d in rows("deliveries.csv") if d["supplier"] == "XAT"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    columns = [*DELIVERY_COLUMNS]
    sheet.append(columns)
    for d in mine:
        sheet.append([d.get(c, "") for c in columns])
    out = io.BytesIO()
    book.save(out)
    headers = bearer(people["treasury-XAT"]) | {"Content-Type": XLSX}
    answer = client.post("/api/v1/deliveries", content=out.getvalue(), headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["added"] == len(mine) == 6
    again = post(client, "/api/v1/deliveries", people["treasury-XAT"], mine)
    assert again.json() == {"added": 0, "unchanged": 6, "posted": 0, "settled": []}

    # A bad line of an uploaded CSV is located by line and field, as the CLI does.
    bad = b"series,date,price\ndiesel-gulf,2024-13-01,90\n"
    headers = bearer(people["treasury-XAT"]) | {"Content-Type": "text/csv"}
    refused = client.post("/api/v1/prices", content=bad, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["line"] == 2
    assert refused.json()["errors"][0]["field"] == "date"
    odd = client.post(
        "/api/v1/prices", content=b"x", headers=bearer(people["treasury-XAT"]) | {
            "Content-Type": "text/plain"}
    )  # fmt: skip
    assert odd.status_code == 422 and odd.json()["errors"][0]["header"] == "Content-Type"


def test_treasuries_write_only_for_their_party(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    # XBO issues no series: its treasury may not quote diesel.
    quote = [{"series": "diesel-gulf", "date": "2024-01-05", "price": "88.40"}]
    refused = post(client, "/api/v1/prices", people["treasury-XBO"], quote)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["pointer"] == "/0/series"
    # XAT does not send teachers: a delivery supplied by XBO is XBO's to record.
    teachers = [d for d in rows("deliveries.csv") if d["delivery_id"] == "S-2401-T"]
    refused = post(client, "/api/v1/deliveries", people["treasury-XAT"], teachers)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["pointer"] == "/0/supplier"
    # XAT does not pay for XBO.
    refused = post(client, "/api/v1/payments", people["treasury-XAT"], rows("payments.csv"))
    assert refused.status_code == 403
    # A commission settles; it does not record deliveries.
    refused = post(client, "/api/v1/deliveries", people["commission-XAT"], teachers)
    assert refused.status_code == 403
    assert audit_count(api_store) == 0
    with api_store.unit_of_work() as uow:
        assert uow.financing.prices() == []
        assert uow.financing.deliveries() == []
        assert uow.financing.payments_in(date(2024, 1, 1), date(2024, 12, 31)) == []


def test_tranches_of_a_treasury_are_its_partys(client: TestClient, people: dict[str, str]) -> None:
    load_tutorial(client, people)
    mine = client.get("/api/v1/tranches", headers=bearer(people["treasury-XBO"]))
    assert len(mine.json()["tranches"]) == 6  # XBO owes them all
    other = client.get(
        "/api/v1/tranches", params={"party": "XAT"}, headers=bearer(people["treasury-XBO"])
    )
    assert other.status_code == 403
    assert client.get("/api/v1/tranches").status_code == 401
    unknown = client.get("/api/v1/tranches/tr:nope/schedule", headers=bearer(people["auditor"]))
    assert unknown.status_code == 404


def test_accrual_books_month_ends_once(
    client: TestClient, people: dict[str, str], api_store: Store
) -> None:
    load_tutorial(client, people)
    token = people["commission-XBO"]
    first = client.post("/api/v1/accruals", params={"through": "2024-03-31"}, headers=bearer(token))
    assert first.status_code == 201, first.text
    # Three tranches lent in Q1, accrued at the month ends they span: D-2401 Jan, Feb,
    # Mar; D-2402 Feb, Mar; D-2403 Mar.
    assert first.json()["added"] == 6
    again = client.post("/api/v1/accruals", params={"through": "2024-03-31"}, headers=bearer(token))
    assert again.json()["added"] == 0 and again.json()["posted"] == 0
    refused = client.post(
        "/api/v1/accruals", params={"through": "2024-06-30"}, headers=bearer(people["treasury-XAT"])
    )
    assert refused.status_code == 403
    assert audit_count(api_store) == 4 + 2  # the four loads, the two accruals
