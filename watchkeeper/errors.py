"""The one base class of errors a user can cause and fix."""


class UserError(Exception):
    """Bad input, a missing or unusable file, a flag that cannot work: the CLI prints it as one
    line on stderr and exits 2, without a traceback. Every module's own error class derives
    from it, so the CLI catches them all without importing the modules that raise them."""
