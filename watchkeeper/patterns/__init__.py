r"""The CloudWatch Logs filter-pattern language: parse, match, cover.

>>> from watchkeeper.patterns import parse, matches, covers
>>> matches('{ $.eventName = "StopLogging" }', {"eventName": "StopLogging"})
True

AWS documents the language in the CloudWatch Logs user guide, "Filter pattern syntax for
metric filters, subscription filters, filter log events, and Live Tail":
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
Where that documentation is silent we decided as follows (see the tests):

- ``=``/``!=`` need a non-null scalar: a missing field, null, object or array makes both
  false. ``= *`` is "any non-null scalar". ``*`` is a wildcard only at the start and/or
  end of a value (quoted or not); in the middle it is literal.
- A numeric literal compares numerically with JSON numbers and textually with strings
  (``$.code = 404`` matches ``"404"``); ``< > <= >=`` only hold for JSON numbers.
  String values compare with a number's or boolean's JSON text (``$.readOnly = true``).
- ``IS``, ``NULL``, ``TRUE``, ``FALSE``, ``NOT``, ``EXISTS`` are case-insensitive;
  ``[*]`` and ``.*`` both range over array elements and object members.
- Term patterns match whole terms of the message, case-sensitive: a term is found where
  it is not glued to a letter, digit or ``_`` (``Trail`` is not in ``CreateTrail``; a
  quoted phrase is one term); ``?`` terms are ignored when plain terms are present;
  ``-`` terms exclude. Dict events are seen by text
  patterns as compact JSON (what CloudTrail delivers to CloudWatch Logs).
- Space-delimited fields: ``[...]`` and ``"..."`` in the message are one field (without
  the delimiters); without ``...`` the field count must match exactly; a condition in a
  slot must test that slot's own name.
- Regexes: no groups; escapes ``\d \D \w \W \s \S \t \n \r \f \v \xhh`` and
  escaped punctuation; ``{m,n}`` up to 1000; matched by a linear-time lazy DFA.
- ``covers`` judges over real CloudTrail records: always-present fields exist; event
  names belong to their services (``cloudtrail.py``); ``AwsServiceEvent`` means an
  ``AWSService`` identity with ``invokedBy``; sign-in events come from
  ``signin.amazonaws.com``; ``MFAUsed`` is Yes/No and ``ConsoleLogin`` Success/Failure;
  top-level keys CloudTrail never writes (e.g. a misspelt ``$.eventname``) are absent.
"""

from __future__ import annotations

from .ast import Pattern
from .cover import Coverage, covers, equivalent
from .errors import FilterPatternError
from .match import matches
from .parser import parse
from .render import explain, render
from .tool import test_metric_filter_command

__all__ = [
    "Coverage",
    "FilterPatternError",
    "Pattern",
    "covers",
    "equivalent",
    "explain",
    "matches",
    "parse",
    "render",
    "test_metric_filter_command",
]
