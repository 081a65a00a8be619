"""convenio — compensated cooperation agreements.

Terms as data, an exact tamper-evident double-entry ledger, financing, settlement and
the missions that deliver services in kind. See the README for the command line.
"""

from convenio.errors import (
    ConflictError,
    ConvenioError,
    InputError,
    IntegrityError,
    Problem,
    StorageError,
)

__version__ = "0.1.0"

__all__ = [
    "ConflictError",
    "ConvenioError",
    "InputError",
    "IntegrityError",
    "Problem",
    "StorageError",
    "__version__",
]
