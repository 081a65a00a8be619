"""Services: the use cases that entry points call, each on a unit of work and plain values.

A service validates, orchestrates the pure domain steps and the repositories, commits
once, and raises one `convenio.errors` exception when it refuses.
"""
