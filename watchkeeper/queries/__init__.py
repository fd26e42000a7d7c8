"""The controls: catalog, SQL, verdicts, check runs."""

from typing import Final

# Here rather than in catalog.py so that command-line defaults need no catalog loading.
DEFAULT_BENCHMARK: Final = "cis-v5.0.0"
