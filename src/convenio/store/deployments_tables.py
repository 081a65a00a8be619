"""Tables of cooperants, deployments, and the months converted into services deliveries.

Cooperants and deployments are keyed by the ids of their files. Deployments point at the
missions' `org_units` (and `missions`) by integer id. `services_conversion_months` holds
each month `convenio services from-deployments` has converted (also when it had no
person-months), `services_conversions` the delivery of each profession in it with the
person-months (hundredths) it was recorded with: converting again compares with these.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Integer, String, Table

from convenio.store.tables import metadata

__all__ = ["conversion_months", "conversions", "cooperants", "deployments"]

cooperants = Table(
    "cooperants",
    metadata,
    Column("id", String(50), primary_key=True),
    Column("profession", String(50), nullable=False),
    Column("party", String(50), nullable=False),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", String(50), primary_key=True),
    Column("cooperant_id", String(50), ForeignKey("cooperants.id"), nullable=False, index=True),
    Column("unit_id", Integer, ForeignKey("org_units.id"), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
    Column("mission_id", Integer, ForeignKey("missions.id"), nullable=True),
)

conversion_months = Table(
    "services_conversion_months",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("converted_at", BigInteger, nullable=False),
)

conversions = Table(
    "services_conversions",
    metadata,
    Column("delivery_id", String(100), primary_key=True),
    Column(
        "month",
        String(7),
        ForeignKey("services_conversion_months.month"),
        nullable=False,
        index=True,
    ),
    Column("item", String(50), nullable=False),
    Column("supplier", String(50), nullable=False),
    Column("recipient", String(50), nullable=False),
    Column("quantity", BigInteger, nullable=False),
)
