"""Analyst features: ad-hoc SQL (query), table docs (catalog_tables), history (diff,
timeline, over history's verdicts per snapshot), Parquet/S3 export with Athena/Trino DDL
(export), sharded collection (shard), and the SQL functions for DuckDB (functions)."""

from datetime import timedelta

# The longest stretch without a snapshot that timelines do not call a gap: a nightly
# collection, plus slack for a slow run. Here so that the command line needs no timeline
# import.
DEFAULT_MAX_GAP = timedelta(hours=36)
