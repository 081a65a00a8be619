"""Small mission data shared by the missions tests: Venezuela with two states, three
clinics, Barrio Adentro consultations by sex and age, population, Robinson literacy.

Hand-worked answers (used by several tests):
- Zulia, 2005: literate aged 15+ 590 + 385 = 975 of 600 + 400 = 1000 → 97.5 %, above
  96 % (flagged); consultations 120 + 80 + 3 = 203 for 1,000 + 500 people →
  203 / 1500 × 1000 = 135.33 per 1,000.
- Distrito Capital, 2005: 50 consultations for 2,000 people → 25.00 per 1,000.
"""

from __future__ import annotations

from pathlib import Path

from convenio.store import Store

ORG_UNITS_CSV = """id,name,parent_id,level,code
VE,Venezuela,,1,VE
VE-ZU,Zulia,VE,2,
VE-DC,Distrito Capital,VE,2,
VE-ZU-MCB,Maracaibo,VE-ZU,3,
VE-DC-LIB,Libertador,VE-DC,3,
CLIN-1,Consultorio Popular 1,VE-ZU-MCB,4,
CLIN-2,Consultorio Popular 2,VE-ZU-MCB,4,
CLIN-3,Consultorio Popular 3,VE-DC-LIB,4,
"""

# CLIN-2 moves to Libertador (Distrito Capital).
MOVED_CSV = ORG_UNITS_CSV.replace(
    "CLIN-2,Consultorio Popular 2,VE-ZU-MCB,4,", "CLIN-2,Consultorio Popular 2,VE-DC-LIB,4,"
)

METADATA_YAML = """\
levels:
  - {level: 1, name: Country}
  - {level: 2, name: State}
  - {level: 3, name: Municipality}
  - {level: 4, name: Facility}
orgUnitGroups:
  - {id: CLINICS, name: Popular clinics, orgUnits: [CLIN-1, CLIN-2, CLIN-3]}
missions:
  - {id: BARRIO_ADENTRO, name: Barrio Adentro}
  - {id: ROBINSON, name: Misión Robinson}
categoryOptions:
  - {id: F, name: Female}
  - {id: M, name: Male}
  - {id: A0_14, name: Under 15}
  - {id: A15P, name: 15 and over}
categories:
  - {id: SEX, name: Sex, options: [F, M]}
  - {id: AGE, name: Age group, options: [A0_14, A15P]}
categoryCombos:
  - {id: SEX, name: Sex, categories: [SEX]}
  - {id: SEX_AGE, name: Sex and age, categories: [SEX, AGE]}
dataElements:
  - {id: CONSULT, name: Consultations, valueType: INTEGER, categoryCombo: SEX_AGE}
  - {id: POP, name: Population, valueType: INTEGER}
  - {id: POP_15P, name: Population aged 15+, valueType: INTEGER, categoryCombo: SEX}
  - {id: LITERATE_15P, name: Literate aged 15+, valueType: INTEGER, categoryCombo: SEX}
  - {id: WAIT_DAYS, name: Days waited for surgery, valueType: NUMBER}
  - {id: NOTES, name: Notes, valueType: TEXT}
dataSets:
  - id: BA_MONTHLY
    name: Barrio Adentro monthly
    periodType: Monthly
    expiryDays: 30
    mission: BARRIO_ADENTRO
    dataElements: [CONSULT, WAIT_DAYS, NOTES]
  - {id: CENSUS, name: Population, periodType: Yearly, dataElements: [POP, POP_15P]}
  - id: ROBINSON_YEARLY
    name: Robinson literacy survey
    periodType: Yearly
    mission: ROBINSON
    dataElements: [LITERATE_15P]
indicators:
  - id: LITERACY_RATE
    name: Literacy rate, aged 15+ (%)
    numerator: "#{LITERATE_15P}"
    denominator: "#{POP_15P}"
    factor: 100
    decimals: 1
    flag: {op: ">", value: 96, label: free of illiteracy}
  - id: CONSULT_PER_1000
    name: Consultations per 1,000 people
    numerator: "#{CONSULT}"
    denominator: "#{POP}"
    factor: 1000
targets:
  - {indicator: LITERACY_RATE, orgUnit: VE-ZU, period: "2005", value: 96}
"""

HEADER = (
    "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,"
    "lastupdated,comment,followup,deleted\n"
)

VALUES_CSV = (
    HEADER
    + """\
CONSULT,200501,CLIN-1,F_A15P,,120,ana,2005-02-01T10:00:00.000Z,,false,false
CONSULT,200501,CLIN-1,M_A15P,,80,ana,2005-02-01T10:00:00.000Z,,false,false
CONSULT,200502,CLIN-2,F_A0_14,,3,ana,2005-03-01T10:00:00.000Z,,false,false
CONSULT,200501,CLIN-3,F_A15P,,50,luis,2005-02-02T10:00:00.000Z,,false,false
WAIT_DAYS,200501,CLIN-1,,,12.25,,,,,
WAIT_DAYS,200501,CLIN-3,,,7.5,,,,,
POP,2005,CLIN-1,,,1000,,,,,
POP,2005,CLIN-2,,,500,,,,,
POP,2005,CLIN-3,,,2000,,,,,
POP_15P,2005,VE-ZU-MCB,F,,600,,,,,
POP_15P,2005,VE-ZU-MCB,M,,400,,,,,
LITERATE_15P,2005,VE-ZU-MCB,F,,590,,,,,
LITERATE_15P,2005,VE-ZU-MCB,M,,385,,,,,
NOTES,200501,CLIN-1,,,"roof leaks, ""urgent"" now",,,a comment,true,
"""
)

# The day the sample is imported: inside every period's expiry.
TODAY = "2005-03-01"


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def load_sample(store: Store, tmp: Path, values: str = VALUES_CSV) -> None:
    """Org units, metadata and the sample values, into `store`."""
    from datetime import date

    from convenio.services import mission_data, missions

    with store.unit_of_work(write=True) as uow:
        missions.load_org_units(uow, write(tmp, "ou.csv", ORG_UNITS_CSV), date(2004, 1, 1))
    with store.unit_of_work(write=True) as uow:
        missions.load_metadata(uow, write(tmp, "meta.yaml", METADATA_YAML))
    with store.unit_of_work(write=True) as uow:
        mission_data.import_values(
            uow, write(tmp, "values.csv", values), today=date.fromisoformat(TODAY)
        )
