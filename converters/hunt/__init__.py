"""Run a Sigma rule over CloudTrail archives with DuckDB on this machine or with Spark."""
