"""`convenio demo`: a realistic dataset for 2000–2015, generated, loaded and settled.

`convenio.demo.data` makes the inputs as values (pure); `convenio.demo.run` loads them
through the services into a store, settles every quarter and summarises the statements
and the debt at each year end.
"""
