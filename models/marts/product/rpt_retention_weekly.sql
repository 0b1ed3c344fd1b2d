{{ retention_by_period('week') }}
