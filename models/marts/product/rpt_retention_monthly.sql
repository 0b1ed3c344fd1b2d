{{ retention_by_period('month') }}
