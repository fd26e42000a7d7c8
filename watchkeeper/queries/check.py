"""`check`: run the controls' SQL over a snapshot and turn rows into stored verdicts."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from watchkeeper import __version__
from watchkeeper.errors import UserError
from watchkeeper.queries import alarm_rules, coverage, org, reference
from watchkeeper.queries import attestations as attest
from watchkeeper.queries.catalog import DEFAULT_BENCHMARK, Catalog, Control, load_catalog
from watchkeeper.queries.results import CheckRun, Result, SnapshotRef, results_digest
from watchkeeper.queries.verdicts import (
    AccountFacts,
    metric_filter_result,
    security_hub_result,
)
from watchkeeper.store import RESOURCE_TABLES, StoreError, connect, rows
from watchkeeper.store.bulk import insert_rows

PROFILES = ("full", "literal")
STORE_SLICE = 2000  # results per insert when storing a run
CONTROL_SQL = {
    "metric_filter_alarm": "control_metric_filter.sql",
    "security_hub": "control_security_hub.sql",
}


class CheckError(UserError):
    """A problem with the check's inputs a user can fix (printed as one line)."""


@dataclass(frozen=True)
class CheckRequest:
    db: Path
    benchmark: str = DEFAULT_BENCHMARK
    controls: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    # OU selectors (queries.org): only accounts under one of them; with ``accounts``, both.
    ous: tuple[str, ...] = ()
    snapshot_id: int | None = None
    profile: str = "full"
    attestations: Path | None = None
    store: bool = True
    today: date | None = None


def sql_text(name: str) -> str:
    return resources.files("watchkeeper.queries").joinpath("sql", name).read_text("utf-8")


def control_sql(control: Control) -> str:
    return sql_text(CONTROL_SQL[control.kind])


def shadow_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> None:
    """Make the plain table names show one snapshot for this connection only."""
    for table in (*RESOURCE_TABLES, "collection_error"):
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table} AS "
            f"SELECT * FROM history.{table} WHERE snapshot_id = {int(snapshot_id)}"
        )


def prepare(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    snapshot_id: int | None = None,
    *,
    results_tables: bool = True,
) -> None:
    """Reference tables, chain views, pattern coverage and wk_covers(), composite alarm rules
    and wk_rule_fires_alone() on ``con``.

    ``results_tables=False`` leaves out check_run/control_result, for a connection (an
    export) that already shows them as views.
    """
    if snapshot_id is not None:
        shadow_snapshot(con, snapshot_id)
    reference.materialise(con, catalog)
    con.execute(coverage.COVERAGE_DDL)
    con.execute(alarm_rules.REFERENCE_DDL)
    con.execute(sql_text("chain.sql"))
    if results_tables:
        con.execute(sql_text("results.sql"))
    coverage.register(con)
    coverage.materialise(con)
    alarm_rules.register(con)
    alarm_rules.materialise(con)


def _facts(con: duckdb.DuckDBPyConnection) -> dict[str, AccountFacts]:
    accounts = rows(con, "SELECT account_id, snapshot_id, collection_status FROM aws_account")
    errors = rows(con, "SELECT * FROM collection_error")
    foreign = rows(
        con,
        "SELECT DISTINCT t.account_id, t.name, t.arn, t.owner_account_id "
        "FROM aws_cloudtrail_trail AS t WHERE t.owner_account_id <> t.account_id "
        "AND t.owner_account_id NOT IN (SELECT account_id FROM aws_account)",
    )
    alarms = rows(
        con, "SELECT account_id, region, name, watched_metric FROM wk_alarm ORDER BY region, name"
    )
    collected = frozenset(
        (r[0], r[1])
        for r in con.execute("SELECT account_id, region FROM aws_region WHERE collected").fetchall()
    )
    # Grouped once, not rescanned per account: thousands of alarms × hundreds of accounts.
    by_metric: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for al in alarms:
        if al["watched_metric"]:
            acct_alarms = by_metric.setdefault(al["account_id"], {})
            acct_alarms.setdefault(al["watched_metric"], []).append(al)
    # A region whose topics could not be listed: its topics are unknown, whoever alarms on them.
    unlisted = {
        (e["account_id"], e["region"]): e["error_code"]
        for e in errors
        if e["service"] == "sns" and e["operation"] == "ListTopics" and e["account_id"]
    }
    out: dict[str, AccountFacts] = {}
    for a in accounts:
        acct = a["account_id"]
        out[acct] = AccountFacts(
            account_id=acct,
            snapshot_id=a["snapshot_id"],
            collection_status=a["collection_status"],
            errors=[e for e in errors if e["account_id"] == acct or e["account_id"] is None],
            foreign_trails=[t for t in foreign if t["account_id"] == acct],
            alarms_by_metric=by_metric.get(acct, {}),
            collected=collected,
            topic_listing_failed=unlisted,
        )
    return out


_SHADOWS = ("wk_chain", "wk_control_pattern", "wk_chosen_pattern", "wk_control_chain")


def _drop_shadows(con: duckdb.DuckDBPyConnection) -> None:
    """Drop evaluate()'s temporary tables, so the plain names show the views again."""
    for name in _SHADOWS:
        con.execute(f"DROP TABLE IF EXISTS temp.{name}")


def evaluate(
    con: duckdb.DuckDBPyConnection,
    controls: list[Control],
    profile: str,
    accounts: tuple[str, ...] = (),
) -> list[Result]:
    """Verdicts of ``controls`` on a prepared connection."""
    facts = _facts(con)
    wanted = frozenset(accounts)  # looked up per row of every control: a set, not the tuple
    results: list[Result] = []
    con.execute("SET VARIABLE profile = ?", [profile])
    # Memory: the chain judged for every control at once (candidate paths × patterns, each
    # row carrying its links and evidence) reached 2.5 GB at 1,000 accounts. Instead the
    # control-independent chain is materialised once — a temporary table of the same name
    # shadows the view for this connection — and wk_control_pattern is narrowed to one
    # control at a time, so wk_control_chain (unchanged) judges only that control's rows.
    _drop_shadows(con)
    con.execute("CREATE TEMP TABLE wk_chain AS SELECT * FROM wk_chain")
    con.execute(
        "CREATE TEMP TABLE wk_chosen_pattern AS SELECT * FROM wk_control_pattern "
        "WHERE list_contains(?, benchmark) AND list_contains(?, control_id)",
        [sorted({c.benchmark for c in controls}), [c.control_id for c in controls]],
    )
    try:
        for control in controls:
            con.execute("SET VARIABLE benchmark = ?", [control.benchmark])
            con.execute("SET VARIABLE control_id = ?", [control.control_id])
            con.execute(
                "CREATE OR REPLACE TEMP TABLE wk_control_pattern AS SELECT * FROM "
                "wk_chosen_pattern WHERE benchmark = ? AND control_id = ?",
                [control.benchmark, control.control_id],
            )
            for row in rows(con, control_sql(control)):
                acct = row["account_id"]
                if wanted and acct not in wanted:
                    continue
                f = facts[acct]
                if control.kind == "security_hub":
                    results.append(security_hub_result(control, row, f))
                else:
                    results.append(metric_filter_result(control, row, f, profile))
    finally:
        _drop_shadows(con)
    return results


def _apply_attestations(
    results: list[Result], items: list[attest.Attestation], benchmark: str, today: date
) -> list[Result]:
    # CIS allows monitoring outside CloudWatch from v2.0.0; earlier versions do not.
    major = int(benchmark.removeprefix("cis-v").split(".")[0])
    out = []
    for r in results:
        match = next((a for a in items if a.applies(r.topic, r.account_id)), None)
        if match is None or r.status != "fail" or r.topic == "security_hub_enabled" or major < 2:
            out.append(r)
            continue
        record = {
            "justification": match.justification,
            "evidence": match.evidence,
            "approver": match.approver,
            "expires": match.expires.isoformat(),
            "source": match.source,
            "active": match.active(today),
        }
        evidence = {**r.evidence, "attestation": record}
        if not match.active(today):
            out.append(
                Result(
                    **{
                        **r.__dict__,
                        "evidence": evidence,
                        "reason": f"{r.reason} (attestation expired {match.expires})",
                    }
                )
            )
            continue
        out.append(
            Result(
                **{
                    **r.__dict__,
                    "status": "manual",
                    "reason": f"attested by {match.approver} until {match.expires}: "
                    f"{match.justification} (chain: {r.reason})",
                    "evidence": evidence,
                }
            )
        )
    return out


def _snapshot_ref(
    con: duckdb.DuckDBPyConnection, snapshot_id: int | None
) -> tuple[SnapshotRef, list[int]]:
    if snapshot_id is None:
        ids = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT snapshot_id FROM aws_account ORDER BY 1"
            ).fetchall()
        ]
        if not ids:
            raise CheckError("no complete snapshot in the database (run `watchkeeper collect`)")
        ref_id = max(ids)
    else:
        ids, ref_id = [snapshot_id], snapshot_id
    row = con.execute(
        "SELECT snapshot_id, started_at, sha256 FROM snapshot WHERE snapshot_id = ?", [ref_id]
    ).fetchone()
    assert row is not None
    return SnapshotRef(row[0], row[1], row[2]), ids


def _selected_accounts(
    request: CheckRequest, placements: Mapping[str, org.OrgPlacement], known: set[str]
) -> tuple[str, ...]:
    """The accounts to judge (empty: all): --account, narrowed by --ou when given."""
    if not request.ous:
        return request.accounts
    # The organization lists accounts that may not have been collected; judge those that were.
    under = org.select_accounts(placements, request.ous) & known
    chosen = sorted(under & set(request.accounts)) if request.accounts else sorted(under)
    if not chosen:
        # An empty selection would read as "all accounts" downstream; say so instead.
        what = "given with --account" if request.accounts else "collected in the snapshot"
        raise CheckError(f"no account {what} is under --ou {', '.join(request.ous)}")
    return tuple(chosen)


def _store(
    con: duckdb.DuckDBPyConnection,
    run: CheckRun,
    request: CheckRequest,
    accounts: tuple[str, ...],
) -> int:
    row = con.execute(
        "INSERT INTO check_run (checked_at, tool_version, benchmark, profile, snapshot_id, "
        "snapshot_ids, controls, accounts, attestations, results_sha256) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING run_id",
        [
            run.checked_at,
            __version__,
            run.benchmark,
            run.profile,
            request.snapshot_id,
            json.dumps(run.snapshot_ids),
            json.dumps(list(request.controls)),
            json.dumps(list(accounts)),
            str(request.attestations) if request.attestations else None,
            run.digest(),
        ],
    ).fetchone()
    assert row is not None
    run_id = int(row[0])
    columns = [c[0] for c in con.execute("DESCRIBE control_result").fetchall()]
    # In slices: the whole run encoded at once (~70 MB of JSON at 1,000 accounts, and its
    # copies on the way into DuckDB) was the check's largest allocation after the chain.
    for i in range(0, len(run.results), STORE_SLICE):
        insert_rows(
            con,
            "control_result",
            columns,
            [
                {**r.to_json(), "run_id": run_id, "snapshot_id": r.evidence.get("snapshot_id")}
                for r in run.results[i : i + STORE_SLICE]
            ],
        )
    return run_id


def select_controls(catalog: Catalog, benchmark: str, keys: tuple[str, ...]) -> list[Control]:
    if not keys:
        return catalog.controls(benchmark)
    chosen = {catalog.find(benchmark, k).control_id: catalog.find(benchmark, k) for k in keys}
    return sorted(chosen.values(), key=lambda c: c.sort_key)


def check(request: CheckRequest) -> CheckRun:
    if request.profile not in PROFILES:
        raise CheckError(f"unknown profile {request.profile!r}; choose {' or '.join(PROFILES)}")
    catalog = load_catalog()
    benchmark = catalog.resolve_benchmark(request.benchmark)
    controls = select_controls(catalog, benchmark, request.controls)
    items = attest.load(request.attestations, catalog, benchmark) if request.attestations else []
    con = connect(request.db, lock_timeout=60)
    try:
        if request.snapshot_id is not None:
            found = con.execute(
                "SELECT status FROM snapshot WHERE snapshot_id = ?", [request.snapshot_id]
            ).fetchone()
            if found is None:
                raise CheckError(f"no snapshot {request.snapshot_id} in {request.db}")
        con.execute("BEGIN TRANSACTION")
        prepare(con, catalog, request.snapshot_id)
        snapshot, ids = _snapshot_ref(con, request.snapshot_id)
        known = {r[0] for r in con.execute("SELECT account_id FROM aws_account").fetchall()}
        missing = [a for a in request.accounts if a not in known]
        if missing:
            raise CheckError(f"account {missing[0]} is not in the snapshot")
        placements = org.placements(con, ids)
        accounts = _selected_accounts(request, placements, known)
        results = evaluate(con, controls, request.profile, accounts)
        results = _apply_attestations(
            results, items, benchmark, request.today or datetime.now(UTC).date()
        )
        ou_paths = {a: p.ou_path for a, p in placements.items()}
        run = CheckRun(
            benchmark,
            request.profile,
            datetime.now(UTC),
            snapshot,
            ids,
            results,
            ou_paths=ou_paths,
            # The digest of the verdicts as checked, once (~2 s of JSON at 1,000 accounts):
            # the stored run, `--format json` and every report of this run print it.
            checked_sha256=results_digest(results),
        )
        if request.store:
            run = replace(run, run_id=_store(con, run, request, accounts))
        con.execute("COMMIT")
        return run
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


__all__ = ["CheckError", "CheckRequest", "StoreError", "check", "control_sql", "prepare"]
