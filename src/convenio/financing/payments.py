"""Cash payments from files: CSV ``payment_id,date,payer,payee,amount,currency[,reference]``.

Pure text in, `Payment` values and located problems out. The parties must be parties of
the agreement; amounts are positive plain decimals in the currency's scale.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping

from convenio.errors import Problem
from convenio.financing.claims import Payment
from convenio.ledger.parse import parse_date
from convenio.units import AmountError, parse_minor

__all__ = ["PAYMENT_COLUMNS", "parse_payments_csv"]

PAYMENT_COLUMNS = ("payment_id", "date", "payer", "payee", "amount", "currency")


def parse_payments_csv(
    stream: Iterable[str], name: str, parties: set[str], scales: Mapping[str, int]
) -> tuple[list[Payment], list[Problem]]:
    """Read payments; every problem names the file, line and field."""
    reader = csv.DictReader(stream)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in PAYMENT_COLUMNS if c not in header]
    unknown = [c for c in header if c not in (*PAYMENT_COLUMNS, "reference")]
    if missing or unknown:
        bad = ", ".join([*(f"missing {c}" for c in missing), *(f"unknown {c}" for c in unknown)])
        return [], [Problem(f"bad header ({bad})", name, 1, "header")]
    found: list[Payment] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw:
            problems.append(Problem("too many fields", name, line, "row"))
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        before = len(problems)
        pid = row["payment_id"]
        if not pid:
            problems.append(Problem("empty payment id", name, line, "payment_id"))
        elif pid in seen:
            problems.append(
                Problem(f"payment {pid} repeats line {seen[pid]}", name, line, "payment_id")
            )
        else:
            seen[pid] = line
        for field in ("payer", "payee"):
            if row[field] not in parties:
                problems.append(Problem(f"unknown party {row[field]!r}", name, line, field))
        if row["payer"] == row["payee"]:
            problems.append(Problem("a party cannot pay itself", name, line, "payee"))
        try:
            day = parse_date(row["date"])
        except ValueError as exc:
            problems.append(Problem(str(exc), name, line, "date"))
        scale = scales.get(row["currency"])
        amount = 0
        if scale is None:
            problems.append(
                Problem(f"unknown currency {row['currency']!r}", name, line, "currency")
            )
        else:
            try:
                amount = parse_minor(row["amount"], scale)
            except AmountError as exc:
                problems.append(Problem(str(exc), name, line, "amount"))
            else:
                if amount <= 0:
                    problems.append(Problem("a payment must be above zero", name, line, "amount"))
        if len(problems) == before:
            found.append(
                Payment(
                    pid,
                    row["payer"],
                    row["payee"],
                    amount,
                    row["currency"],
                    day,
                    row.get("reference", ""),
                )
            )
    return found, problems
