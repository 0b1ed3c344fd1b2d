"""pulse orchestration: the `pulse` command, the end-to-end run, and dbt invocation."""
