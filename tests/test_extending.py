"""docs/extending.md stays true: the places a new AWS table or a new control must be added
to agree with each other, and the checklists name files, things and tests that exist.

Every assertion message says which file to edit.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.awsfake.faultproxy import FaultProxy
from tests.awsfake.scenarios import Estate
from tests.reference.cis_patterns import CIS_PATTERNS
from watchkeeper.analyst import catalog_tables
from watchkeeper.analyst.diff import KEYS
from watchkeeper.analyst.export import ddl
from watchkeeper.collector import AwsOptions, CollectRequest, collect
from watchkeeper.collector.permissions import CALLER_ACTIONS, READ_ACTIONS, UNGATED
from watchkeeper.patterns.cloudtrail import EVENT_SOURCES
from watchkeeper.queries.catalog import load_catalog
from watchkeeper.store import (
    RESOURCE_TABLES,
    SCHEMA_VERSION,
    Collection,
    begin_snapshot,
    complete_snapshot,
    connect,
)
from watchkeeper.store.db import MIGRATIONS, column_types
from watchkeeper.store.integrity import snapshot_digest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "extending.md"
README = ROOT / "README.md"
ACCOUNT = "111122223333"
REGION = "us-east-1"
# Tables every snapshot writes besides the resource tables.
NOT_RESOURCES = frozenset({"collection_error"})


@pytest.fixture(scope="module")
def history_columns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """history table → column → DuckDB type, as a freshly created database has them."""
    con = connect(tmp_path_factory.mktemp("fresh") / "wk.duckdb")
    try:
        return column_types(con)
    finally:
        con.close()


# --- adding an AWS table -------------------------------------------------------------------


def test_every_history_table_is_a_resource_table(history_columns: dict[str, dict[str, str]]):
    for table in RESOURCE_TABLES:
        assert table in history_columns, (
            f"{table} is in RESOURCE_TABLES but has no history.{table}: "
            "create it in watchkeeper/store/schema.sql (and a migration)"
        )
        missing = {"snapshot_id", "account_id", "region", "raw"} - set(history_columns[table])
        assert not missing, (
            f"history.{table} lacks {sorted(missing)}: every collected row carries them "
            "(watchkeeper/store/schema.sql)"
        )
    # A table left out of the list would be neither hashed nor exported nor imported.
    unlisted = set(history_columns) - set(RESOURCE_TABLES) - NOT_RESOURCES
    assert not unlisted, (
        f"history tables {sorted(unlisted)} are not in RESOURCE_TABLES "
        "(watchkeeper/store/db.py): add them there"
    )


def _filler(table: str, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """A row with a value for every NOT NULL column: enough for the store to take it."""
    values = {"VARCHAR": "x", "BOOLEAN": False, "INTEGER": 0, "BIGINT": 0, "DOUBLE": 0.0}
    required = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE "
        "table_schema = 'history' AND table_name = ? AND is_nullable = 'NO'",
        [table],
    ).fetchall()
    row: dict[str, Any] = {}
    for column, kind in required:
        if column == "snapshot_id":
            continue
        assert kind in values, f"tests/test_extending.py: give _filler a value for {kind}"
        row[column] = values[kind]
    return row | {"account_id": ACCOUNT, "region": REGION}


def test_every_resource_table_has_a_view_of_the_latest_snapshot(tmp_path: Path):
    db = tmp_path / "wk.duckdb"
    con = connect(db)
    try:
        rows = {t: _filler(t, con) for t in RESOURCE_TABLES}
    finally:
        con.close()
    for _ in range(2):
        col = Collection(caller_arn=None, accounts=[ACCOUNT], regions=[REGION])
        for table, row in rows.items():
            col.add(table, [dict(row)])
        complete_snapshot(db, begin_snapshot(db, [ACCOUNT], [REGION], None), col)
    con = connect(db, read_only=True)
    try:
        views = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'VIEW'"
            ).fetchall()
        }
        types = column_types(con)
        for table in RESOURCE_TABLES:
            assert table in views, f"no view {table}: add it to watchkeeper/store/views.sql"
            cur = con.execute(f"SELECT * FROM main.{table}")
            names = [d[0] for d in cur.description]
            stored = list(types[table])
            assert names[: len(stored)] == stored, (
                f"view {table} does not show every column of history.{table} "
                "(watchkeeper/store/views.sql)"
            )
            # After them, only the Steampipe columns the view computes (documented as such).
            docs = catalog_tables.columns(table)
            computed = [c for c in names[len(stored) :] if not (c in docs and docs[c].view_only)]
            assert computed == [], f"view {table}: undocumented computed columns {computed}"
            shown = {r[0] for r in con.execute(f"SELECT snapshot_id FROM main.{table}").fetchall()}
            assert shown == {2}, (
                f"view {table} shows snapshots {sorted(shown)}, not only the latest complete "
                "one: join it to latest_snapshot_account (watchkeeper/store/views.sql)"
            )
    finally:
        con.close()


def test_every_resource_table_has_drift_keys(history_columns: dict[str, dict[str, str]]):
    assert set(KEYS) == set(RESOURCE_TABLES), (
        "KEYS (the analyst's diff module, watchkeeper/analyst/) must name exactly the "
        f"RESOURCE_TABLES: missing {sorted(set(RESOURCE_TABLES) - set(KEYS))}, "
        f"stale {sorted(set(KEYS) - set(RESOURCE_TABLES))}"
    )
    for table, key in KEYS.items():
        unknown = set(key) - set(history_columns[table])
        assert not unknown, f"KEYS[{table!r}] names columns history.{table} lacks: {unknown}"


def test_every_resource_table_is_documented(history_columns: dict[str, dict[str, str]]):
    collected = {n for n, doc in catalog_tables.TABLES.items() if doc.kind == "collected"}
    assert collected == set(RESOURCE_TABLES) | NOT_RESOURCES, (
        "watchkeeper/analyst/catalog_tables.py: add a TableDoc of kind 'collected' for "
        f"{sorted(set(RESOURCE_TABLES) - collected)} (then paste `watchkeeper tables "
        "--markdown` into README.md); stale: "
        f"{sorted(collected - set(RESOURCE_TABLES) - NOT_RESOURCES)}"
    )
    for table in RESOURCE_TABLES:
        documented = {c for c, col in catalog_tables.columns(table).items() if not col.view_only}
        actual = set(history_columns[table])
        assert documented == actual, (
            f"watchkeeper/analyst/catalog_tables.py, {table}: undocumented "
            f"{sorted(actual - documented)}, stale {sorted(documented - actual)}"
        )


_OPERATION = re.compile(r"\b([a-z0-9]+):([A-Z][A-Za-z0-9]+)\b")


def test_every_api_call_a_table_documents_is_in_the_policy():
    """Table docs name the API operation each column comes from; the reader policy must
    allow each one, and every permission it asks for must fill some column."""
    allowed = {
        (s, op) for t in (READ_ACTIONS, CALLER_ACTIONS) for s, ops in t.items() for op in ops
    }
    allowed |= set(UNGATED)
    read = {(s, op) for s, ops in READ_ACTIONS.items() for op in ops}
    # Tables read only by the collecting identity (the organization's tree) name its calls.
    caller = {(s, op) for s, ops in CALLER_ACTIONS.items() for op in ops}
    used: set[tuple[str, str]] = set()
    for table in RESOURCE_TABLES:
        named = {
            m
            for col in catalog_tables.columns(table).values()
            for m in _OPERATION.findall(col.source)
        }
        assert named - allowed == set(), (
            f"{table} is read with {sorted(named - allowed)}, which READ_ACTIONS in "
            "watchkeeper/collector/permissions.py does not allow: add them there (and to the "
            "policy in README.md)"
        )
        assert named & (read | caller), (
            f"no column of {table} names the API call it comes from "
            "(watchkeeper/analyst/catalog_tables.py), so its permission cannot be checked"
        )
        used |= named
    assert read - used == set(), (
        f"READ_ACTIONS asks for {sorted(read - used)} but no documented column comes from "
        "them: name them as a source in watchkeeper/analyst/catalog_tables.py, or drop them "
        "from watchkeeper/collector/permissions.py"
    )


def test_readme_states_the_hash_over_every_resource_table():
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(r"for each table in the order (.*?): `\\n<table>", text)
    assert found, "README.md: the hash definition (snapshots, verify) has lost its table list"
    listed = re.findall(r"`([a-z_]+)`", found.group(1))
    assert listed == [*RESOURCE_TABLES, "collection_error"], (
        "README.md (snapshots, verify): the hash runs over the tables in the order of "
        "RESOURCE_TABLES (watchkeeper/store/db.py), then collection_error; list them so"
    )


# What snapshot_digest gave for these two snapshots when they were written. A table or
# column added since must not change them, or `verify` fails on every older database.
SEALED = {
    1: "6008cce999bfe75d9d31ccd6c390eceb1ef5df8e4e99b0dcb93ce93060b2787f",
    2: "5eff1bcdab4964698b79aa82bc02b35040f76b1cae66d3564b2209c16c6aaf81",
}


def test_older_snapshots_keep_their_hash(tmp_path: Path):
    con = connect(tmp_path / "wk.duckdb")
    try:
        for sid in SEALED:  # schema_version = the snapshot id: one snapshot per schema
            con.execute(
                "INSERT INTO snapshot (snapshot_id, started_at, finished_at, status, "
                "tool_version, schema_version, caller_arn, collector_host, accounts, regions, "
                "api_calls, api_retries, error_count) VALUES (?, '2026-01-01 00:00:00+00', "
                "'2026-01-01 00:05:00+00', 'complete', '0.1.0', ?, 'arn:aws:iam::1:user/a', "
                "'host', '[\"111122223333\"]', '[\"us-east-1\"]', 12, 1, 0)",
                [sid, sid],
            )
            con.execute(
                "INSERT INTO history.aws_account (snapshot_id, account_id, region, partition, "
                "arn, access_method, collection_status) VALUES "
                "(?, ?, ?, 'aws', 'arn:aws:::111122223333', 'caller', 'ok')",
                [sid, ACCOUNT, REGION],
            )
            con.execute(
                "INSERT INTO history.aws_cloudwatch_alarm (snapshot_id, account_id, region, "
                "name, arn, threshold, raw) VALUES (?, ?, ?, 'a', 'arn:x', 1.5, '{\"k\": 1}')",
                [sid, ACCOUNT, REGION],
            )
        digests = {sid: snapshot_digest(con, sid) for sid in SEALED}
    finally:
        con.close()
    assert digests == SEALED, (
        "the hash of a snapshot written under an older schema changed: a column added since "
        "needs COLUMN_SINCE, a table added since the same kind of guard, in "
        "watchkeeper/store/integrity.py"
    )


def test_every_older_schema_has_its_migration():
    assert set(MIGRATIONS) == set(range(1, SCHEMA_VERSION)), (
        "watchkeeper/store/db.py: MIGRATIONS needs one script per schema version before "
        f"SCHEMA_VERSION ({SCHEMA_VERSION})"
    )
    store = ROOT / "watchkeeper" / "store"
    for version, script in MIGRATIONS.items():
        assert (store / script).is_file(), (
            f"MIGRATIONS[{version}]: no file watchkeeper/store/{script}"
        )
    head = (store / "schema.sql").read_text(encoding="utf-8").splitlines()[0]
    assert f"schema version {SCHEMA_VERSION} " in head, (
        f"watchkeeper/store/schema.sql: the first line should say schema version {SCHEMA_VERSION}"
    )


@pytest.mark.parametrize("dialect", ["athena", "trino"])
def test_export_ddl_covers_every_resource_table(dialect: str):
    # ddl() raises KeyError for a column type its type maps do not know.
    text = ddl(dialect, "s3://bucket/prefix")
    for table in RESOURCE_TABLES:
        assert re.search(rf"CREATE (EXTERNAL )?TABLE IF NOT EXISTS \S*\b{table} \(", text), (
            f"no {dialect} DDL for {table} (watchkeeper/analyst/export.py)"
        )


def test_scenario_builders_fill_every_resource_table(estate: Estate, proxy: FaultProxy, db: Path):
    acct = estate.account()
    acct.chain()
    acct.enable_security_hub()
    estate.organization([])
    estate.organizational_unit("Security")
    aws = AwsOptions(endpoint_url=proxy.url, concurrency=4)
    outcome = collect(
        CollectRequest(db=db, regions=(REGION,), aws=aws, organization=True, role_name="reader")
    )
    assert outcome.errors == []
    con = connect(db, read_only=True)
    try:
        count = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in RESOURCE_TABLES
        }
    finally:
        con.close()
    empty = sorted(t for t, n in count.items() if n == 0)
    assert empty == [], (
        f"a collection of the scenario estate left {empty} empty: give "
        "tests/awsfake/scenarios.py a builder for the resource, call it here, and make "
        "_collect_unit in watchkeeper/collector/run.py put the table's rows"
    )


# --- adding a control ----------------------------------------------------------------------


def test_catalog_patterns_are_the_published_ones():
    """The catalog's patterns and the independent copy agree both ways, so the pattern tests
    (which use the copy) cover every pattern a control is judged by."""
    catalog: set[str] = set()
    for topic in load_catalog():
        for version in topic.versions.values():
            catalog |= set(version.required_patterns)
    published = set(CIS_PATTERNS.values())
    assert catalog - published == set(), (
        "watchkeeper/queries/catalog.yaml has patterns the benchmark does not publish "
        "(a typo?), or tests/reference/cis_patterns.py lacks them (copy them there from the "
        "benchmark text, not from the catalog)"
    )
    assert published - catalog == set(), (
        "tests/reference/cis_patterns.py has published patterns no control in "
        "watchkeeper/queries/catalog.yaml uses"
    )


_EVENT_NAME = re.compile(r"\$\.eventName\s*(?:=|!=)\s*\"?([A-Za-z0-9]+)\"?")


def test_every_event_name_a_control_requires_is_in_the_cloudtrail_model():
    """Coverage is judged over real CloudTrail records: an event name the model does not
    know cannot be given its service, so the prover's counterexamples would be made up."""
    catalog = load_catalog()
    for topic in catalog:
        for version in topic.versions.values():
            for pattern in version.required_patterns:
                unknown = set(_EVENT_NAME.findall(pattern)) - set(EVENT_SOURCES)
                assert not unknown, (
                    f"{topic.key} ({version.benchmark}) requires {sorted(unknown)}: add them to "
                    "_SERVICES in watchkeeper/patterns/cloudtrail.py under their eventSource"
                )


# --- the guide itself ----------------------------------------------------------------------

_HEADER = "| # | Edit | File | Name | Checked by |"


def _checklist_rows() -> list[list[str]]:
    rows: list[list[str]] = []
    inside = False
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        if line.strip() == _HEADER:
            inside = True
            continue
        if inside and line.startswith("|---"):
            continue
        if inside and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            assert len(cells) == 5, f"docs/extending.md: a checklist row needs 5 cells: {line}"
            rows.append(cells)
        else:
            inside = False
    return rows


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _text_under(path: Path) -> str:
    if path.is_file():
        return path.read_text(encoding="utf-8")
    files = sorted(p for p in path.rglob("*") if p.suffix in {".py", ".sql", ".yaml", ".j2"})
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_guide_names_files_and_things_that_exist():
    rows = _checklist_rows()
    assert len(rows) >= 20, "docs/extending.md: the two checklists have gone missing"
    for number, _edit, file_cell, name_cell, _checked in rows:
        paths = _ticked(file_cell)
        assert paths, f"docs/extending.md, step {number}: name the file to edit"
        for path in paths:
            target = ROOT / path
            assert target.exists(), f"docs/extending.md, step {number}: no {path}"
            text = _text_under(target)
            for name in _ticked(name_cell):
                assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text), (
                    f"docs/extending.md, step {number}: {path} has no {name}"
                )


def test_guide_names_tests_that_exist():
    for number, _edit, _file, _name, checked in _checklist_rows():
        for ref in _ticked(checked):
            path, _, test = ref.partition("::")
            target = ROOT / path
            assert target.is_file(), f"docs/extending.md, step {number}: no {path}"
            if test:
                assert f"def {test}(" in target.read_text(encoding="utf-8"), (
                    f"docs/extending.md, step {number}: {path} has no {test}"
                )


def test_readme_links_the_guide():
    assert "(docs/extending.md)" in README.read_text(encoding="utf-8"), (
        "README.md: link docs/extending.md"
    )
