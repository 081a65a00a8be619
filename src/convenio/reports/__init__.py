"""Reports: the read side's outputs, from statements to journal exports.

Everything here reads values that the ledger and the other capabilities produced and
renders them for people or other tools; nothing here writes to the store.
"""

from convenio.reports.journals import (
    DEFAULT_OPEN_DATE,
    beancount_account,
    beancount_currency,
    ledger_account,
    ledger_commodity,
    write_beancount,
    write_ledger,
)

__all__ = [
    "DEFAULT_OPEN_DATE",
    "beancount_account",
    "beancount_currency",
    "ledger_account",
    "ledger_commodity",
    "write_beancount",
    "write_ledger",
]
