"""Input files as people save them: encodings, Spanish-locale spreadsheets, .xlsx.

The adapter between a loader's file and its pure parser (`reading`); the Spanish number
rule (`numbers`) and the sheet reader (`sheets`) beside it.
"""

from convenio.files.memory import InMemory, Source
from convenio.files.reading import (
    LOCALES,
    PLAIN,
    CellProblem,
    FileOptions,
    Table,
    Tell,
    check_options,
    open_table,
    read_text,
)

__all__ = [
    "LOCALES",
    "PLAIN",
    "CellProblem",
    "FileOptions",
    "InMemory",
    "Source",
    "Table",
    "Tell",
    "check_options",
    "open_table",
    "read_text",
]
