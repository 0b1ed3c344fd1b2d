"""Ingest engines: each turns a batch's raw files into calls on the lake publisher.

`columnar` (in-process DuckDB + the reference validator for lines it cannot vouch for) is the
local default; `mrjob` runs the same contract as an mrjob job on any mrjob runner.
"""

ENGINES = ("columnar", "mrjob")
