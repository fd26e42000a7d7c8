"""The one base class of errors a user can cause and fix, and the exit codes every command
and job ends with (here, below both the CLI and the `run` job, so that both use one enum)."""

from enum import IntEnum


class UserError(Exception):
    """Bad input, a missing or unusable file, a flag that cannot work: the CLI prints it as one
    line on stderr and exits 2, without a traceback. Every module's own error class derives
    from it, so the CLI catches them all without importing the modules that raise them."""


class ExitCode(IntEnum):
    """The exit codes of every command and of the `run` job (README, "Exit codes")."""

    OK = 0
    # The command ran and found problems: collection errors, failing or erroring controls,
    # a hash mismatch, a pattern that does not cover.
    FINDINGS = 1
    # Bad flags or config, no credentials, unreadable database: nothing was done.
    USAGE = 2
    # `run`/`email`: the reports were written but the e-mail was not delivered.
    NOT_DELIVERED = 3
    # 128 + SIGINT, as shells report a command stopped by Ctrl-C.
    INTERRUPTED = 130
