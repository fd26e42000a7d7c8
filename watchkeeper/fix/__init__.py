"""`watchkeeper fix`: plan the steps that mend failing chains, and apply them through a
write role of their own (the collector's read-only guard stays for everything else).

Where things are (imported from their modules, so `iam-policy fixer` loads no DuckDB):
- plan.build_plan(PlanRequest) → steps.Plan; formats.render(plan, fmt)
- apply.apply_fix(ApplyRequest, plan) → ApplyOutcome, through clients.FixerClients
- runs.record_run / complete_run: the stored runs (read with
  store.remediation.remediation_runs, for the report, the dashboard and the tests)
- permissions.fixer_policy(): the fixer role's IAM policy
"""
