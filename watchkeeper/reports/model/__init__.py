"""The evidence report as typed data: everything the HTML/PDF templates show, computed once.

Templates only lay this out; every decision (what is broken, which command fixes it, what
is masked) is made here, so the HTML, the PDF and the tests see the same facts.

One job per module: ``types`` (the dataclasses), ``chain`` (the chain boxes and link
labels), ``remediation`` (the commands that mend broken links; `fix` reuses it), ``raw``
(the appendix of raw API objects), ``sections`` (per-control verdicts), ``matrix`` (the
summary's per-account and per-OU matrices), ``passing`` (the compact table of passes),
``build`` (`build_report`: the main report, exceptions first) and ``packs`` (per-account
evidence packs). Redaction is `reports.redact`'s.
"""

from watchkeeper.reports.model.build import ReportBasis, build_report, report_basis
from watchkeeper.reports.model.chain import BOX_LINKS, LINK_LABELS
from watchkeeper.reports.model.packs import PackBuilder
from watchkeeper.reports.model.remediation import Command, remediation_commands
from watchkeeper.reports.model.types import (
    AccountInfo,
    AccountVerdict,
    ChainBox,
    CheckKey,
    ControlSection,
    Cover,
    ErrorRow,
    LinkCheck,
    MatrixRow,
    OrgMatrix,
    PassGroup,
    PassLine,
    RawObject,
    ReportModel,
    SqlText,
    Summary,
    TimelineView,
    UsualChain,
)

__all__ = [
    "BOX_LINKS",
    "LINK_LABELS",
    "AccountInfo",
    "AccountVerdict",
    "ChainBox",
    "CheckKey",
    "Command",
    "ControlSection",
    "Cover",
    "ErrorRow",
    "LinkCheck",
    "MatrixRow",
    "OrgMatrix",
    "PackBuilder",
    "PassGroup",
    "PassLine",
    "RawObject",
    "ReportBasis",
    "ReportModel",
    "SqlText",
    "Summary",
    "TimelineView",
    "UsualChain",
    "build_report",
    "remediation_commands",
    "report_basis",
]
