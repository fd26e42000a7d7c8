"""Deterministic split of the accounts over N collecting workers (`collect --shard I/N`).

Each account goes to the shard given by a stable hash of its id, so every worker agrees on
the split without talking to the others, even if their account listings were taken at
slightly different times.
"""

from __future__ import annotations

import hashlib
import re

from watchkeeper.errors import UserError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(UserError):
    """A bad --shard value or sources that cannot be merged (printed as one line)."""


def parse_shard(shard: str) -> tuple[int, int]:
    """'I/N' → (I, N), with 1 ≤ I ≤ N."""
    m = _SHARD.match(shard)
    if not m:
        raise ShardError(f"--shard {shard!r}: expected I/N, e.g. 1/3")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ShardError(f"--shard {shard!r}: need 1 ≤ I ≤ N")
    return i, n


def shard_of(account_id: str, n: int) -> int:
    """The shard (1…n) an account belongs to; the same on every machine and Python run."""
    digest = hashlib.sha256(account_id.strip().encode()).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def shard_accounts(accounts: list[str], shard: str) -> list[str]:
    """The accounts shard 'I/N' collects (order kept, duplicates dropped)."""
    i, n = parse_shard(shard)
    return [a for a in dict.fromkeys(accounts) if shard_of(a, n) == i]
