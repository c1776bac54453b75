"""The benchmark of issue 4: the API against a bare-Django baseline, on PostgreSQL (see README)."""
