"""One meaning per flag name, across every command; the old spellings of --strictness stay
hidden and deprecated; the flag and the config key reach the check settings."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from watchkeeper.cli import ExitCode, app
from watchkeeper.config import ConfigError, FileConfig
from watchkeeper.errors import UserError
from watchkeeper.settings import check_settings

runner = CliRunner()

# Flag names that still mean two things. Each entry is a debt: the test fails once the clash
# is gone, so that the entry goes with it.
KNOWN_CLASHES = {
    "--from": "sender address (email, run) vs earlier snapshot (diff)",
    "--to": "recipient (email, run) vs later snapshot (diff)",
}
DEPRECATED_ALIASES = {
    ("check", "--profile"),
    ("report", "--profile"),
    ("email", "--profile"),
    ("run", "--check-profile"),
}


def long_flags(root: typer.Typer) -> Iterator[tuple[str, str, str, bool]]:
    """(command, flag, help, hidden) for every long flag of every command and group."""

    def walk(cmd: Any, path: str) -> Iterator[tuple[str, str, str, bool]]:
        for p in cmd.params:
            if p.param_type_name == "option":
                for name in (*p.opts, *p.secondary_opts):
                    if name.startswith("--"):
                        yield path, name, p.help or "", p.hidden
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, f"{path} {name}".strip())

    yield from walk(typer.main.get_command(root), "")


def meaning(help_text: str) -> str:
    """What a flag means: its help up to the first ";" or "[" note (the house convention,
    watchkeeper/cli/options.py); a command's own default or choices follow."""
    return re.split(r";| \[", help_text, maxsplit=1)[0].strip()


def clashes(root: typer.Typer) -> dict[str, dict[str, list[str]]]:
    """Visible flags with more than one meaning: flag → meaning → commands."""
    seen: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for command, flag, help_text, hidden in long_flags(root):
        if not hidden:
            seen[flag][meaning(help_text)].append(command or "watchkeeper")
    return {flag: dict(m) for flag, m in seen.items() if len(m) > 1}


def test_each_flag_name_has_one_meaning() -> None:
    found = clashes(app)
    assert set(found) == set(KNOWN_CLASHES), found


def test_every_visible_flag_says_what_it_means() -> None:
    silent = [(c, f) for c, f, h, hidden in long_flags(app) if not hidden and not meaning(h)]
    assert silent == []


def test_the_rule_catches_a_flag_with_two_meanings() -> None:
    probe = typer.Typer()

    @probe.command()
    def collect(
        profile: Annotated[str, typer.Option("--profile", help="AWS profile [env]")] = "",
    ) -> None: ...

    @probe.command()
    def check(
        profile: Annotated[str, typer.Option("--profile", help="full or literal; else")] = "",
    ) -> None: ...

    assert clashes(probe) == {
        "--profile": {"AWS profile": ["collect"], "full or literal": ["check"]}
    }


def test_profile_is_the_aws_profile_and_strictness_has_its_own_name() -> None:
    flags = [(c, f, hidden) for c, f, _, hidden in long_flags(app)]
    assert {c for c, f, hidden in flags if f == "--profile" and not hidden} == {
        "collect",
        "fix",
    }  # the commands that call AWS
    assert {c for c, f, hidden in flags if f == "--strictness"} == {
        "check",
        "report",
        "email",
        "run",
    }
    assert {(c, f) for c, f, hidden in flags if hidden} == DEPRECATED_ALIASES


def test_an_unknown_strictness_is_one_line_and_exit_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["check", "--db", str(tmp_path / "x.duckdb"), "--strictness", "x"])
    assert res.exit_code == ExitCode.USAGE
    assert res.stderr.strip().splitlines() == [
        "error: unknown strictness 'x'; choose full or literal"
    ]


class _Stop(UserError):
    pass


@pytest.mark.parametrize(
    ("args", "deprecated"),
    [(["--strictness", "literal"], False), (["--check-profile", "literal"], True)],
)
def test_run_takes_strictness_and_its_old_spelling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], deprecated: bool
) -> None:
    jobs: list[Any] = []

    def fake_run_job(job: Any, reporter: Any = None) -> None:
        jobs.append(job)
        raise _Stop("stopped before collecting")

    monkeypatch.setattr("watchkeeper.pipeline.run_job", fake_run_job)
    config = tmp_path / "watchkeeper.toml"
    config.write_text("")
    res = runner.invoke(
        app, ["run", "--config", str(config), "--db", str(tmp_path / "wk.duckdb"), *args]
    )
    assert res.exit_code == ExitCode.USAGE and "stopped before collecting" in res.stderr
    assert [j.check.profile for j in jobs] == ["literal"]
    notes = [line for line in res.stderr.splitlines() if line.startswith("note:")]
    if deprecated:
        assert notes == ["note: --check-profile on `run` is deprecated; use --strictness"]
    else:
        assert notes == []


def _config(tmp_path: Path, text: str) -> FileConfig:
    path = tmp_path / "watchkeeper.toml"
    path.write_text(text)
    from watchkeeper.config import load_file

    return load_file(path)


@pytest.mark.parametrize("key", ["strictness", "profile"])
def test_config_strictness_key_and_its_old_name(tmp_path: Path, key: str) -> None:
    cfg = _config(tmp_path, f'[check]\n{key} = "literal"\n')
    assert check_settings(None, None, None, cfg).profile == "literal"
    assert check_settings(None, "full", None, cfg).profile == "full"  # the flag wins
    expected = [("profile", "strictness")] if key == "profile" else []
    assert cfg.renamed_keys_used("check") == expected


def test_config_with_both_names_is_refused(tmp_path: Path) -> None:
    cfg = _config(tmp_path, '[check]\nstrictness = "literal"\nprofile = "full"\n')
    with pytest.raises(ConfigError, match="old name of strictness"):
        check_settings(None, None, None, cfg)


def test_config_with_both_names_is_one_line_from_the_cli(tmp_path: Path) -> None:
    config = tmp_path / "both.toml"
    config.write_text('[check]\nstrictness = "literal"\nprofile = "full"\n')
    res = runner.invoke(app, ["check", "--config", str(config), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == ExitCode.USAGE
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "profile is the old name of strictness" in lines[0], lines
