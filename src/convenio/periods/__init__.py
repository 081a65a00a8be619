"""Period identifiers and arithmetic: the time keys of mission data and settlement runs.

A `Period` is a type (`PeriodType`: daily, ISO weekly, monthly, quarterly, six-monthly,
yearly, financial years from April, July or October), a first and a last day, and DHIS2's
identifier (`2005W9`, `200503`, `2005Q1`, `2005April`). `parse_period` reads those and the
settlement forms of the command line (`2011-10`, `2011H1`); periods shift (`p + 3`),
locate days (`period_of`), roll up into coarser periods and split into finer ones. A week
belongs to the period that contains its Thursday. Pure standard library, no I/O.
"""

from convenio.periods.model import Period, PeriodType, period_of, periods_between
from convenio.periods.parsing import ACCEPTED_FORMS, parse_period

__all__ = [
    "ACCEPTED_FORMS",
    "Period",
    "PeriodType",
    "parse_period",
    "period_of",
    "periods_between",
]
