"""pulse's BI layer: MetricFlow helpers and the LookML generator (docs/bi.md).

A consumption tool: it reads dbt artifacts and the warehouse, never the pipeline.
"""
