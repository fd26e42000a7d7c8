"""`watchkeeper serve`: a read-only web dashboard over the store.

Starlette routes (``app``) ask one page module each (``pages/``) for typed data, read
through ``store`` (one read-only connection, per-run caches), and render Jinja2 templates
that include the report's partials (``render``). ``console`` is the SQL sandbox and
``security`` the token, host and header rules. :func:`serve` checks the settings and runs
uvicorn.
"""

from watchkeeper.serve.server import ServeError, ServeSettings, check_settings, serve

__all__ = ["ServeError", "ServeSettings", "check_settings", "serve"]
