"""What runs against the store: ingest, the evaluation run, live readers, the collector."""
