"""serve is a top tier: nothing in watchkeeper imports it but the CLI (and itself)."""

from __future__ import annotations

from tests.test_import_layers import SOURCE, imports


def test_only_the_cli_imports_serve() -> None:
    importers = {
        e.importer
        for e in imports(SOURCE)
        if e.imported.startswith("watchkeeper.serve")
        and not e.importer.startswith("watchkeeper.serve")
    }
    assert importers
    assert all(name.startswith("watchkeeper.cli") for name in importers), importers
