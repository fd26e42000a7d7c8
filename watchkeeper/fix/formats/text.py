"""The plan for people: chain by chain, each step with its API call and CLI line."""

from __future__ import annotations

from watchkeeper.fix.formats.cli import cli_line
from watchkeeper.fix.steps import Plan


def to_text(plan: Plan) -> str:
    run = f"check run {plan.check_run_id}" if plan.check_run_id else "the check run"
    lines = [
        f"Fix plan for {run} ({plan.benchmark}): {len(plan.chains)} failing chain(s), "
        f"{len(plan.steps)} step(s)"
    ]
    if not plan.chains:
        lines.append("Nothing to fix: no failing verdict matches.")
    shown: set[int] = set()
    for chain in plan.chains:
        lines.append("")
        lines.append(f"{chain.control_id} {chain.title}")
        lines.append(f"  account {chain.account_id}: {chain.status}: {chain.reason}")
        for step_id in chain.steps:
            step = plan.step(step_id)
            if step_id in shown:
                lines.append(f"  step {step_id}: {step.purpose} (shared, see above)")
                continue
            shown.add(step_id)
            mark = " (changes your " + step.resource + ")" if step.changes_existing else ""
            lines.append(
                f"  step {step_id}: {step.purpose}{mark}\n"
                f"    {step.service}:{step.operation} in {step.region}\n"
                f"    {cli_line(step)}"
            )
        lines.extend(f"  note: {n}" for n in chain.notes)
        lines.extend(f"  a person must: {m}" for m in chain.manual)
    return "\n".join(lines) + "\n"
