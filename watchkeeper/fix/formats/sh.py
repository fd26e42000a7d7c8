"""The plan as a bash script of AWS CLI commands.

Safe to re-run: every command sets a state rather than adding one (start-logging,
update-trail, put-* and create-topic are idempotent in AWS; subscribe returns the existing
subscription), and create-log-group accepts a group that already exists. Each account's
commands run only after `sts get-caller-identity` shows that account.
"""

from __future__ import annotations

import shlex

from watchkeeper.fix.formats.cli import cli_line
from watchkeeper.fix.steps import Plan

_PRELUDE = """\
set -euo pipefail

# A create whose object already exists has done its job.
create_ok() {
  local out
  if ! out=$("$@" 2>&1); then
    case "$out" in
      *ResourceAlreadyExistsException*) ;;
      *) printf '%s\\n' "$out" >&2; return 1 ;;
    esac
  fi
}

# Switch to an account's credentials (AWS_PROFILE_<account>, when set) and refuse to go on
# under any other account.
use_account() {
  local var="AWS_PROFILE_$1"
  if [ -n "${!var:-}" ]; then export AWS_PROFILE="${!var}"; fi
  local actual
  actual=$(aws sts get-caller-identity --query Account --output text)
  if [ "$actual" != "$1" ]; then
    echo "these credentials are for account $actual, not $1 (set AWS_PROFILE_$1)" >&2
    exit 1
  fi
}
"""


def to_sh(plan: Plan) -> str:
    out = [
        "#!/usr/bin/env bash",
        f"# watchkeeper fix plan: check run {plan.check_run_id}, {plan.benchmark}, "
        f"{len(plan.steps)} step(s). Safe to re-run.",
        _PRELUDE,
    ]
    account = None
    for step in plan.steps:
        if step.account_id != account:
            account = step.account_id
            out.append(f"\n# --- account {account}")
            out.append(f"use_account {shlex.quote(account)}")
        out.append(f"\n# step {step.id} [{', '.join(step.controls)}] {step.purpose}")
        line = cli_line(step)
        out.append(f"create_ok {line}" if step.action == "create_log_group" else line)
    manual = [(c, m) for c in plan.chains for m in c.manual]
    if manual:
        out.append("\n# What a person must do (not scripted):")
        out.extend(f"#   {c.control_id} {c.account_id}: {m}" for c, m in manual)
    return "\n".join(out) + "\n"
