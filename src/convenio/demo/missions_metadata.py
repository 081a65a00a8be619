"""The demo's missions metadata (pure): what `convenio metadata load` would read from a
file, built as a `MetadataDocument` for `convenio.demo.missions`.

Three missions (attribute option combos), the sex and age disaggregations, one data set
per mission and period type plus a census, and the indicators coordinators read: the
literacy rate with Robinson's 96 % flag (missions' reports), consultations per 1,000 people
and surgeries per 100,000. Every data set has `expiryDays` 0: the demo loads sixteen
years at once, long after any expiry a ministry would set; the settled-period lock is
avoided by loading before the settlement runs (`convenio.demo.run`).
"""

from __future__ import annotations

from typing import Any, Final

from convenio.missions import MetadataDocument

__all__ = [
    "BARRIO_ADENTRO",
    "CENSUS_YEARS",
    "CONSULT",
    "CONSULT_PER_1000",
    "LITERACY_FLAG",
    "LITERACY_RATE",
    "LITERACY_YEARS",
    "LITERATE_15P",
    "MILAGRO",
    "POP",
    "POP_15P",
    "ROBINSON",
    "ROB_TAUGHT",
    "SURGERY",
    "SURGERY_PER_100K",
    "metadata",
]

BARRIO_ADENTRO: Final = "BARRIO_ADENTRO"
ROBINSON: Final = "ROBINSON"
MILAGRO: Final = "MILAGRO"

POP: Final = "POP"
POP_15P: Final = "POP_15P"
CONSULT: Final = "CONSULT"
ROB_TAUGHT: Final = "ROB_TAUGHT"
LITERATE_15P: Final = "LITERATE_15P"
SURGERY: Final = "MIL_SURGERY"

LITERACY_RATE: Final = "LITERACY_RATE"
CONSULT_PER_1000: Final = "CONSULT_PER_1000"
SURGERY_PER_100K: Final = "MIL_SURGERY_PER_100K"

LITERACY_FLAG: Final = 96
"""FACT: "free of illiteracy" is more than 96 % of people aged 15+ able to read."""

CENSUS_YEARS: Final = tuple(range(2002, 2016))
"""Years with population figures: the year before the missions to the demo's last."""
LITERACY_YEARS: Final = (2002, 2003, 2004, 2005)
"""Years with a literacy figure: before Robinson, during it, and after (declared on 28
Oct 2005)."""

_DOCUMENT: Final[dict[str, Any]] = {
    "levels": [
        {"level": 1, "name": "Country"},
        {"level": 2, "name": "State"},
        {"level": 3, "name": "Municipality"},
        {"level": 4, "name": "Facility"},
    ],
    "missions": [
        {"id": BARRIO_ADENTRO, "name": "Misión Barrio Adentro"},
        {"id": ROBINSON, "name": "Misión Robinson"},
        {"id": MILAGRO, "name": "Misión Milagro"},
    ],
    "categoryOptions": [
        {"id": "F", "name": "Female"},
        {"id": "M", "name": "Male"},
        {"id": "A0_14", "name": "Under 15"},
        {"id": "A15P", "name": "15 and over"},
    ],
    "categories": [
        {"id": "SEX", "name": "Sex", "options": ["F", "M"]},
        {"id": "AGE", "name": "Age group", "options": ["A0_14", "A15P"]},
    ],
    "categoryCombos": [
        {"id": "SEX", "name": "Sex", "categories": ["SEX"]},
        {"id": "AGE", "name": "Age group", "categories": ["AGE"]},
    ],
    "dataElements": [
        {"id": POP, "name": "Population", "valueType": "INTEGER"},
        {"id": POP_15P, "name": "Population aged 15+", "valueType": "INTEGER"},
        {"id": CONSULT, "name": "Consultations", "valueType": "INTEGER",
         "categoryCombo": "AGE"},
        {"id": ROB_TAUGHT, "name": "People taught to read and write", "valueType": "INTEGER",
         "categoryCombo": "SEX"},
        {"id": LITERATE_15P, "name": "Literate aged 15+", "valueType": "INTEGER"},
        {"id": SURGERY, "name": "Eye surgeries", "valueType": "INTEGER", "categoryCombo": "SEX"},
    ],
    "dataSets": [
        {"id": "CENSUS", "name": "Population", "periodType": "Yearly",
         "dataElements": [POP, POP_15P]},
        {"id": "BA_MONTHLY", "name": "Barrio Adentro monthly", "periodType": "Monthly",
         "mission": BARRIO_ADENTRO, "dataElements": [CONSULT]},
        {"id": "ROBINSON_MONTHLY", "name": "Robinson graduations", "periodType": "Monthly",
         "mission": ROBINSON, "dataElements": [ROB_TAUGHT]},
        {"id": "ROBINSON_SURVEY", "name": "Literacy survey", "periodType": "Yearly",
         "mission": ROBINSON, "dataElements": [LITERATE_15P]},
        {"id": "MILAGRO_MONTHLY", "name": "Milagro surgeries", "periodType": "Monthly",
         "mission": MILAGRO, "dataElements": [SURGERY]},
    ],
    "indicators": [
        {"id": LITERACY_RATE, "name": "Literacy rate, aged 15+ (%)",
         "numerator": f"#{{{LITERATE_15P}}}", "denominator": f"#{{{POP_15P}}}",
         "factor": 100, "decimals": 1,
         "flag": {"op": ">", "value": LITERACY_FLAG, "label": "free of illiteracy"}},
        {"id": CONSULT_PER_1000, "name": "Consultations per 1,000 people",
         "numerator": f"#{{{CONSULT}}}", "denominator": f"#{{{POP}}}", "factor": 1000,
         "decimals": 0},
        {"id": SURGERY_PER_100K, "name": "Eye surgeries per 100,000 people",
         "numerator": f"#{{{SURGERY}}}", "denominator": f"#{{{POP}}}", "factor": 100_000,
         "decimals": 1},
    ],
}  # fmt: skip


def metadata(
    entities: tuple[str, ...], groups: dict[str, tuple[str, list[str]]]
) -> MetadataDocument:
    """The document, with the org unit groups (id → name and units) and a literacy target
    of the threshold for 2005 in Venezuela and each of `entities` (ISO codes)."""
    targets = [
        {"indicator": LITERACY_RATE, "orgUnit": uid, "period": "2005", "value": LITERACY_FLAG}
        for uid in ("VE", *entities)
    ]
    org_unit_groups = [
        {"id": uid, "name": name, "orgUnits": units} for uid, (name, units) in groups.items()
    ]
    return MetadataDocument.model_validate(
        {**_DOCUMENT, "orgUnitGroups": org_unit_groups, "targets": targets}
    )
