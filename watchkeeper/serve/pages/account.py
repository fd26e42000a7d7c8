"""Account: every control's verdict for one account, its collection status and errors."""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper.queries.org import UNPLACED
from watchkeeper.queries.results import STATUSES, Result
from watchkeeper.reports.model import AccountInfo, ErrorRow
from watchkeeper.reports.model.build import errors_of
from watchkeeper.serve.store import NotFound, RunView

__all__ = ["AccountPage", "account_page"]


@dataclass(frozen=True)
class AccountPage:
    account: AccountInfo
    ou: str
    counts: dict[str, int]
    results: list[Result]  # catalog order (redacted as in reports)
    errors: list[ErrorRow]


def account_page(view: RunView, account_id: str) -> AccountPage:
    results = view.by_account.get(account_id)
    if results is None:
        raise NotFound(f"account {account_id} has no verdict in run {view.info.run_id}")
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for r in results:
        counts[r.status] += 1
    return AccountPage(
        account=view.basis.accounts[account_id],
        ou=view.ou_of.get(account_id, UNPLACED),
        counts=counts,
        results=results,
        errors=errors_of(view.basis, account_id),
    )
