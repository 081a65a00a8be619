"""`convenio demo`: a realistic dataset for 2000–2015, generated, loaded and settled.

`convenio.demo.data` makes the inputs as values (pure), with `headcounts` (the services),
`missions`, `deployments` and `cases`; `convenio.demo.run` loads them through the
services into a store (`run_missions`, `run_pathways`), settles every quarter and
summarises the statements, the debt at each year end, the missions and the pathways.
"""
