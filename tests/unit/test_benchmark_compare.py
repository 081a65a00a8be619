"""benchmarks/ledger_post.py fails (exit 1) when ledger-cli's balances differ from convenio's."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "ledger_post.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ledger_post_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_balances_that_agree_give_no_difference() -> None:
    bench = _load()
    ours = {"A/cash": "10.00", "A/zero": "0.00", "B/cash": "-10.00"}
    theirs = bench.ledger_balances("A:cash\t10.00 USD\nB:cash\t-10.00 USD\n")
    assert bench.compare_balances(ours, theirs) == []


def test_a_different_missing_or_extra_balance_is_reported() -> None:
    bench = _load()
    ours = {"A/cash": "10.00", "B/cash": "-10.00", "C/cash": "5.00"}
    theirs = {"A/cash": "10.01", "B/cash": "-10.00", "D/cash": "1.00"}
    assert bench.compare_balances(ours, theirs) == [
        "A/cash: convenio 10.00, ledger-cli 10.01",
        "C/cash: convenio 5.00, ledger-cli 0",
        "D/cash: convenio 0, ledger-cli 1.00",
    ]
