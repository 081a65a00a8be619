"""What the settlement pages show: the runs, a run's statement, and what makes each of its
figures — read-only views over the runs `services.settlement` wrote.

- `runs`: the runs with their sign-offs and what the reader may do to each, and the net
  position by period;
- `statement`: a run's statement as the run stored it, with the terms version in force,
  the sign-offs (`services.signoffs`), the log entry and the checkpoint that covers it;
  and reopening a run;
- `figures`: for a reader of the ledger, the drill-down — for each figure of a
  direction, the claims, allocations or payments it sums, each with the delivery and
  the ledger transactions behind it.

Who reads a run is `services.settlement.reads_run`, as for the API: a reader of the
ledger whose scope includes one of the run's parties (a commission, the auditor, the
parties' treasuries) reads everything; anyone else, the public included, reads a settled
run's statement and sign-offs only, without drill-down or ledger transactions.
"""

from convenio.services.settlement_views.figures import (
    FIGURES,
    PAGE_SIZE,
    AllocationLine,
    ClaimLine,
    FigureView,
    PaymentLine,
    figure_view,
)
from convenio.services.settlement_views.runs import (
    NetSeries,
    RunLine,
    RunsView,
    net_series,
    runs_view,
)
from convenio.services.settlement_views.statement import (
    CoveringCheckpoint,
    Direction,
    StatementView,
    reopen,
    statement_view,
)

__all__ = [
    "FIGURES",
    "PAGE_SIZE",
    "AllocationLine",
    "ClaimLine",
    "CoveringCheckpoint",
    "Direction",
    "FigureView",
    "NetSeries",
    "PaymentLine",
    "RunLine",
    "RunsView",
    "StatementView",
    "figure_view",
    "net_series",
    "reopen",
    "runs_view",
    "statement_view",
]
