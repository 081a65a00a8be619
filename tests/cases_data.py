"""Sample cases shared by the cases tests, worked by hand.

Eye surgery, detected on 1 January 2005: E1 operated on 21 Jan (20 days), E2 on 31 Jan
(30), E3 on 10 Feb (40), E4 on 2 Mar (31 + 28 + 1 = 60); E5 stopped at referred, E6 at
detected, E7 (in Distrito Capital) at transported. 7 started, 4 operated: 4 / 7 =
57.142… → 57.1 %; median of 20, 30, 40, 60 = (30 + 40) / 2 = 35 days. Zulia alone (E1–E6):
4 / 6 = 66.7 %. Literacy: L1 graduated, L2 stopped at lesson-1, L3 at lesson-2, L4 at
enrolled: 1 / 4 = 25.0 %.
"""

from __future__ import annotations

EVENTS_CSV = """case_id,pathway,org_unit,stage,date
E1,eye-surgery,CLIN-1,detected,2005-01-01
E1,eye-surgery,CLIN-1,referred,2005-01-10
E1,eye-surgery,CLIN-1,operated,2005-01-21
E2,eye-surgery,CLIN-1,detected,2005-01-01
E2,eye-surgery,CLIN-1,operated,2005-01-31
E3,eye-surgery,CLIN-2,detected,2005-01-01
E3,eye-surgery,CLIN-2,operated,2005-02-10
E3,eye-surgery,CLIN-2,followed-up,2005-03-10
E4,eye-surgery,CLIN-2,detected,2005-01-01
E4,eye-surgery,CLIN-2,operated,2005-03-02
E5,eye-surgery,CLIN-1,detected,2005-01-01
E5,eye-surgery,CLIN-1,referred,2005-01-05
E6,eye-surgery,CLIN-1,detected,2005-01-01
E7,eye-surgery,CLIN-3,detected,2005-01-01
E7,eye-surgery,CLIN-3,transported,2005-01-08
L1,literacy,CLIN-3,enrolled,2005-03-01
L1,literacy,CLIN-3,lesson-1,2005-03-02
L1,literacy,CLIN-3,lesson-2,2005-03-03
L1,literacy,CLIN-3,graduated,2005-06-01
L2,literacy,CLIN-3,enrolled,2005-03-01
L2,literacy,CLIN-3,lesson-1,2005-03-02
L3,literacy,CLIN-3,enrolled,2005-03-01
L3,literacy,CLIN-3,lesson-1,2005-03-02
L3,literacy,CLIN-3,lesson-2,2005-03-03
L4,literacy,CLIN-3,enrolled,2005-03-01
"""

PEOPLE_CSV = """case_id,name,national_id,birth_date
E1,María Fernández Rojas,V-12345678,1941-05-17
E2,José Gregorio Pérez,V-87654321,1938-11-02
L1,Ana Teresa Colmenares,V-11223344,1960-02-29
"""
SECRETS = ("María Fernández Rojas", "V-12345678", "1941-05-17", "José Gregorio", "V-87654321")
KEY = "a-test-key-of-at-least-32-characters!"
OTHER_KEY = "another-key-also-32-characters-long!!"
