"""pulse ingestion: raw logs → validated, deduplicated lake partitions → warehouse raw tables."""
