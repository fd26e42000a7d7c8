"""E-mail delivery of a check run: compose (a bounded summary, the reports attached under
a size limit), compare with the previous stored run, and send through SMTP or Amazon SES.

runs.py        stored runs and what changed since the previous one
body.py        the bounded plain-text and HTML bodies
attachments.py the reports, zipped or summarised to stay under the size limit
message.py     headers, bodies and attachments into one message
delivery.py    SMTP and SES
"""

from __future__ import annotations

from watchkeeper.notify.attachments import MIME_TYPES, Attachment, AttachmentPlan
from watchkeeper.notify.delivery import SES_MAX_BYTES, deliver, send_ses, send_smtp
from watchkeeper.notify.errors import EmailError
from watchkeeper.notify.message import Composed, compose, compose_within_limit, subject
from watchkeeper.notify.runs import (
    Change,
    RunDiff,
    changes_since_previous,
    diff_runs,
    load_run,
    ou_paths_of,
    previous_run,
)

__all__ = [
    "MIME_TYPES",
    "SES_MAX_BYTES",
    "Attachment",
    "AttachmentPlan",
    "Change",
    "Composed",
    "EmailError",
    "RunDiff",
    "changes_since_previous",
    "compose",
    "compose_within_limit",
    "deliver",
    "diff_runs",
    "load_run",
    "ou_paths_of",
    "previous_run",
    "send_ses",
    "send_smtp",
    "subject",
]
