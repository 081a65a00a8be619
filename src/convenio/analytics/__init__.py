"""Analytics: pivots of mission data by org unit level × period type, with roll-up.

The read side. A request in DHIS2's dimension syntax (`request`) becomes pivot queries
written once with SQLGlot (`pivot`) and rendered for the backend that holds the data —
the DuckDB mirror of the embedded store, or PostgreSQL; the exact sums they return
become element values, indicators with targets and flags, and suppressed small counts
(`results`). Nothing here writes, and nothing here opens a database: the service hands
the SQL to the store's adapter and the rows back.
"""

from convenio.analytics.pivot import DIALECTS, PivotSpec, pivot_sql
from convenio.analytics.request import (
    AnalyticsRequest,
    DxItem,
    DxKind,
    Ids,
    parse_request,
    specs_for,
)
from convenio.analytics.results import DEFAULT_THRESHOLD, Cell, ResultRow, assemble

__all__ = [
    "DEFAULT_THRESHOLD",
    "DIALECTS",
    "AnalyticsRequest",
    "Cell",
    "DxItem",
    "DxKind",
    "Ids",
    "PivotSpec",
    "ResultRow",
    "assemble",
    "parse_request",
    "pivot_sql",
    "specs_for",
]
