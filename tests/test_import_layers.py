"""watchkeeper's imports run one way, down the tiers below, and never in a circle.

DESIGN.md's "Data flows one way", as a check: every module under watchkeeper/ is parsed
(not imported) and every import counts, at module level, inside functions and under
TYPE_CHECKING alike, since each is a dependency all the same.
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

PACKAGE = "watchkeeper"
SOURCE = Path(__file__).resolve().parents[1] / PACKAGE

# The architecture, bottom to top. A unit is a top-level module or package of watchkeeper
# ("__init__" is the package's own __init__.py, the version); names are fnmatch patterns so
# that "cli*" covers cli.py, cli_*.py and a cli/ package. A unit may import from its own
# tier and the ones below, never from above.
TIERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "errors", "jsonutil", "config", "svg", "arns"),
    ("patterns", "store"),
    ("collector", "queries"),
    ("analyst",),
    ("reports",),
    ("settings", "progress", "notify", "pipeline", "api", "demo", "emulator", "serve"),
    ("fix",),
    ("cli*", "__main__"),
)

# Imports allowed against the tiers (module → module), each with the reason why.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # `watchkeeper.connect()` is the public convenience entry for analysts; the package
    # loads it lazily, on first use, so no import of watchkeeper pays for it.
    ("watchkeeper", "watchkeeper.api"): "public watchkeeper.connect, loaded lazily",
}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module names
    imported: str
    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line} {self.importer} → {self.imported}"


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path) -> list[Import]:
    """Every import of one module of the package by another, resolved to a module name."""
    files = {module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    out: list[Import] = []
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, package, files.keys()):
                if target.split(".")[0] != root.name:
                    continue
                # `import watchkeeper.x.attr` style leftovers: the nearest real module.
                while target not in files:
                    target = target.rpartition(".")[0]
                if target != name:
                    out.append(Import(name, target, path, node.lineno))
    return out


def _targets(
    node: ast.Import | ast.ImportFrom, package: str, modules: AbstractSet[str]
) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    else:
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, *([node.module] if node.module else [])])
        for alias in node.names:
            # `from pkg import name`: the submodule when there is one, else pkg itself.
            sub = f"{base}.{alias.name}"
            yield sub if sub in modules else base


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def tier(name: str) -> int | None:
    found = [i for i, names in enumerate(TIERS) if any(fnmatch(name, n) for n in names)]
    return found[0] if len(found) == 1 else None


def upward(edges: list[Import]) -> list[Import]:
    """Imports from a lower tier into a higher one (the exceptions aside)."""
    bad = []
    for e in edges:
        if (e.importer, e.imported) in EXCEPTIONS:
            continue
        low, high = tier(unit(e.importer)), tier(unit(e.imported))
        if low is not None and high is not None and high > low:
            bad.append(e)
    return bad


def cycle(pairs: set[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, set[str]] = {}
    for a, b in pairs:
        graph.setdefault(a, set()).add(b)
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def unit_pairs(edges: list[Import]) -> set[tuple[str, str]]:
    return {
        (unit(e.importer), unit(e.imported))
        for e in edges
        if unit(e.importer) != unit(e.imported) and (e.importer, e.imported) not in EXCEPTIONS
    }


def module_pairs(edges: list[Import]) -> set[tuple[str, str]]:
    return {(e.importer, e.imported) for e in edges if (e.importer, e.imported) not in EXCEPTIONS}


@pytest.fixture(scope="module")
def edges() -> list[Import]:
    found = imports(SOURCE)
    assert found, f"no imports found under {SOURCE}"
    return found


# --- the package ------------------------------------------------------------------------


def test_every_unit_is_in_exactly_one_tier() -> None:
    units = {unit(module_name(SOURCE, p)) for p in SOURCE.rglob("*.py")}
    assert {"analyst", "api", "queries", "store", "__init__"} <= units
    assert sorted(u for u in units if tier(u) is None) == []


def test_imports_point_down_the_tiers(edges: list[Import]) -> None:
    assert [str(e) for e in upward(edges)] == []


def test_no_cycle_between_top_level_modules_and_packages(edges: list[Import]) -> None:
    assert cycle(unit_pairs(edges)) is None


def test_no_cycle_between_modules(edges: list[Import]) -> None:
    assert cycle(module_pairs(edges)) is None


def test_the_exceptions_are_still_needed(edges: list[Import]) -> None:
    # An exception nothing uses any more would hide the next import it happens to match.
    used = {(e.importer, e.imported) for e in edges}
    assert sorted(set(EXCEPTIONS) - used) == []


# --- the checker itself, on a made-up package ---------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checker_sees_upward_imports_in_functions_and_type_checking(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "store/__init__.py": "",
            "store/db.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from watchkeeper.reports import model\n"
                "def f():\n    from ..analyst import drift\n"
            ),
            "reports/__init__.py": "",
            "reports/model.py": "from watchkeeper.store.db import f\n",
            "analyst/__init__.py": "",
            "analyst/drift.py": "import watchkeeper.errors\n",
            "errors.py": "",
        },
    )
    found = imports(root)
    assert {(e.importer, e.imported) for e in upward(found)} == {
        ("watchkeeper.store.db", "watchkeeper.reports.model"),
        ("watchkeeper.store.db", "watchkeeper.analyst.drift"),
    }


def test_checker_sees_a_cycle_within_a_tier(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "notify.py": "from watchkeeper import pipeline\n",
            "pipeline.py": "def f():\n    import watchkeeper.notify\n",
        },
    )
    found = imports(root)
    assert upward(found) == []
    assert set(cycle(unit_pairs(found)) or ()) == {"notify", "pipeline"}


def test_checker_sees_a_cycle_inside_a_package(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "queries/__init__.py": "from watchkeeper.queries.check import run\n",
            "queries/check.py": "from watchkeeper.queries import DEFAULT\n",
        },
    )
    found = imports(root)
    assert cycle(unit_pairs(found)) is None
    assert set(cycle(module_pairs(found)) or ()) == {
        "watchkeeper.queries",
        "watchkeeper.queries.check",
    }


def test_checker_allows_the_lazy_connect_and_nothing_else_upward(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "def __getattr__(n):\n    from watchkeeper.api import connect\n",
            "api.py": "from watchkeeper import errors\n",
            "errors.py": "from watchkeeper.api import connect\n",
        },
    )
    found = imports(root)
    assert [(e.importer, e.imported) for e in upward(found)] == [
        ("watchkeeper.errors", "watchkeeper.api")
    ]
