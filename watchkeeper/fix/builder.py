"""What the planner builds with: the steps so far (shared between chains by key), and
one chain's state while its steps are planned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeeper.errors import UserError
from watchkeeper.fix.steps import Action, ChainPlan, Step
from watchkeeper.queries.catalog import Control
from watchkeeper.queries.evidence import ChainObjects

__all__ = ["Builder", "ChainState", "FixError", "FixOptions", "Subscriber", "parse_subscriber"]

PROTOCOLS = ("email", "email-json", "sms", "https", "http", "sqs", "lambda")


class FixError(UserError):
    """Bad input to `fix` (printed as one line)."""


@dataclass(frozen=True)
class Subscriber:
    protocol: str
    endpoint: str

    def __str__(self) -> str:
        return f"{self.protocol}:{self.endpoint}"


def parse_subscriber(text: str) -> Subscriber:
    protocol, sep, endpoint = text.partition(":")
    if not sep or not endpoint or protocol not in PROTOCOLS:
        raise FixError(
            f"--notify {text!r}: give PROTOCOL:ENDPOINT, e.g. email:secops@example.com "
            f"(protocols: {', '.join(PROTOCOLS)})"
        )
    return Subscriber(protocol, endpoint)


@dataclass(frozen=True)
class FixOptions:
    subscribers: tuple[Subscriber, ...] = ()
    logs_role_arn: str | None = None  # the role CloudTrail assumes to write to the log group


class Builder:
    """Steps so far, shared by key between the chains that need them."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._by_key: dict[str, Step] = {}

    def add(self, chain: ChainPlan, step: Step) -> Step:
        """``step``, or the same step planned before (by key), now serving ``chain`` too."""
        key = step.key()
        found = self._by_key.get(key)
        if found is None:
            step.id = len(self.steps) + 1
            self.steps.append(step)
            self._by_key[key] = found = step
        if chain.control_id not in found.controls:
            found.controls.append(chain.control_id)
        if found.id not in chain.steps:
            chain.steps.append(found.id)
        return found


@dataclass
class ChainState:
    """One chain being planned: where its objects are, as the steps change them."""

    b: Builder
    plan: ChainPlan
    control: Control
    account: str
    chain: ChainObjects
    broken: set[str]
    options: FixOptions

    def add(
        self,
        region: str,
        action: Action,
        link: str,
        purpose: str,
        resource: str,
        changes_existing: bool = False,
        **params: Any,
    ) -> Step:
        step = Step(
            0, self.account, region, action, link, purpose, params, resource, changes_existing
        )
        return self.b.add(self.plan, step)
