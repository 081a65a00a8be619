"""One typed settings object, read from the environment (``CONVENIO_*``) and validated.

`SETTINGS_TABLE` lists every setting with its variable and meaning; the README's table and
`convenio --help` are written from it and a test keeps them in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from convenio.errors import InputError, Problem

__all__ = ["SETTINGS_TABLE", "Settings", "get_settings"]

SQLITE_FILE: Final = "convenio.db"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("convenio", appauthor=False))


class Settings(BaseSettings):
    """convenio's configuration; every field comes from ``CONVENIO_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CONVENIO_", frozen=True, extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory of the embedded store (SQLite file) and other local data.",
    )
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL of the store; empty means the embedded SQLite file in the data "
            "directory. postgresql://user@host/db selects PostgreSQL (driver psycopg 3)."
        ),
    )

    write_wait: float = Field(
        default=60.0,
        ge=0,
        allow_inf_nan=False,
        description=(
            "Seconds a write waits for another convenio process writing to the same store "
            "(saying so once) before giving up with exit 5."
        ),
    )

    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Key that seals the personal data of cases (name, national id, date of birth) "
            "with AES-256-GCM, at least 32 characters; empty: personal data is refused."
        ),
    )

    max_body: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest request body the server accepts, in bytes (413 above it); bulk "
            "imports bigger than this go through the CLI."
        ),
    )

    cors_origins: str = Field(
        default="",
        description=(
            "Web origins allowed to call the API from a browser, comma-separated "
            "(https://portal.example.org); empty: none (CORS closed)."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        url = value.strip()
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def store_url(self) -> str:
        """The URL actually used: `database_url`, or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.data_dir / SQLITE_FILE}"

    @property
    def is_embedded(self) -> bool:
        return not self.database_url


SETTINGS_TABLE: Final[tuple[tuple[str, str], ...]] = tuple(
    (f"CONVENIO_{name.upper()}", field.description or "")
    for name, field in Settings.model_fields.items()
)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once); a value the environment gives wrong is
    an `InputError` naming its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = [
            Problem(
                f"{error['msg']} (given {error.get('input')!r})",
                field=f"CONVENIO_{'_'.join(map(str, error['loc'])).upper()}",
            )
            for error in exc.errors()
        ]
        raise InputError.from_problems(problems, "settings") from None
