"""Loaders: lake partitions → warehouse raw tables, idempotently, with an audit trail."""
