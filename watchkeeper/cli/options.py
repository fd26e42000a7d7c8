"""Options that several command modules take, declared once.

One meaning per flag name: a flag's help starts with what it means, the same on every
command; what a command adds (its default, its choices) follows a ";" or sits in a
trailing [note]. tests/test_cli_flags.py holds every command to that. `--profile` is the
AWS profile; how strictly controls are judged is `--strictness`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli.notes import check_strictness, strictness_alias
from watchkeeper.queries import DEFAULT_BENCHMARK

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="DuckDB file [env WATCHKEEPER_DB; default ./watchkeeper.duckdb]"),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="watchkeeper.toml [env WATCHKEEPER_CONFIG]")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Only the final summary")]

# --- what to judge -------------------------------------------------------------------------

BENCHMARK_HELP = "Benchmark version, e.g. cis-v3.0.0"
# `check`, `report` and `run` resolve it as the other [check] settings.
BenchmarkOption = Annotated[
    str | None,
    typer.Option(
        "--benchmark",
        "-b",
        help=f"{BENCHMARK_HELP}; else WATCHKEEPER_BENCHMARK, check.benchmark in the config, "
        f"{DEFAULT_BENCHMARK}",
    ),
]
# Commands that read the catalog or stored verdicts directly.
BenchmarkVersionOption = Annotated[str, typer.Option("--benchmark", "-b", help=BENCHMARK_HELP)]
STRICTNESS_HELP = "Check strictness: full (the whole chain) or literal (the benchmark's audit)"
StrictnessOption = Annotated[
    str | None,
    typer.Option(
        "--strictness",
        callback=check_strictness,
        help=f"{STRICTNESS_HELP}; else check.strictness in the config, full",
    ),
]
# The old spellings, hidden; each still works and says it is deprecated.
ProfileAliasOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        hidden=True,
        callback=strictness_alias("--profile", " (--profile is the AWS profile, on collect)"),
    ),
]
CheckProfileAliasOption = Annotated[
    str | None,
    typer.Option("--check-profile", hidden=True, callback=strictness_alias("--check-profile")),
]
AttestationsOption = Annotated[
    Path | None,
    typer.Option(
        help="YAML of attested controls (SIEM monitoring, v2.0.0+); else check.attestations "
        "in the config"
    ),
]
ControlsOption = Annotated[
    list[str] | None,
    typer.Option("--control", "-c", help="Control id, topic or Security Hub id (repeatable) [all]"),
]
AccountFilterOption = Annotated[
    list[str] | None,
    typer.Option("--account", "-a", help="Account id (repeatable); only these [all]"),
]
OuOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ou",
        help="Organizational unit: id (ou-…) or name path (Workloads/Prod), with the accounts "
        "below it (repeatable); only these [all]",
    ),
]
RegionFilterOption = Annotated[
    list[str] | None,
    typer.Option("--region", "-r", help="Region (repeatable); only these [all]"),
]
# `check` and `run`: the terminal view.
AllResultsOption = Annotated[
    bool,
    typer.Option("--all", help="Table format: every result, one row each [a summary]"),
]
SINCE_HELP = "First day of the timeline (2026-07-01)"

# --- what to collect (`collect` and `run`) -------------------------------------------------

AccountsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--account",
        "-a",
        help="Account id (repeatable); needs --role-name for accounts other than the caller's",
    ),
]
RegionsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--region",
        "-r",
        help="Region (repeatable); to collect, default: every region enabled for each account",
    ),
]
ORGANIZATION_HELP = "Collect every active account of the caller's organization"
ROLE_NAME_HELP = "Role to assume in other accounts"
DeepOption = Annotated[
    bool | None,
    typer.Option(
        "--deep/--no-deep",
        help="Also make the per-resource calls (tags, data-protection policies, subscription "
        "attributes) behind the Steampipe columns they fill [config [collect] deep]",
    ),
]
RoleNameOption = Annotated[str | None, typer.Option(help=ROLE_NAME_HELP)]
ExternalIdOption = Annotated[
    str | None, typer.Option(help="External id for AssumeRole [env WATCHKEEPER_EXTERNAL_ID]")
]
AWS_PROFILE_HELP = "AWS profile [env AWS_PROFILE]"
EndpointUrlOption = Annotated[
    str | None,
    typer.Option(help="Send every AWS call here (an emulator) [env AWS_ENDPOINT_URL]"),
]
