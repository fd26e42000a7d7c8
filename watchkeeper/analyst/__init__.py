"""Analyst features: ad-hoc SQL (query), table docs (catalog_tables), history (drift),
Parquet/S3 export with Athena/Trino DDL (export), and sharded collection (shard)."""
