"""What runs against the store: ingest, the evaluation run, live readers, the collector."""

# the features built side by side are wired to each other here, whoever imports the service
from monitor.service import hooks as _hooks  # noqa: F401  (fills the hooks on import)
