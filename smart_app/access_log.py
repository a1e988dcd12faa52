"""Access log lines without query strings.

A request's query string can carry an authorization code, a ``state``, a ``launch`` value or the search words
of a form (App Launch §2.0.5: the code and state come back on the redirect URI). The servers' own request logs
print the whole request line, so :class:`StripQuery` cuts every ``/path?query`` down to ``/path`` in the
records of the werkzeug and gunicorn access loggers; ``gunicorn_conf.py`` also logs ``%(U)s`` (the path only).
"""

from __future__ import annotations

import logging
import re
from typing import Final

# A path, then "?" and the query: up to the " HTTP/x" of a request line, a quote, an ANSI escape (werkzeug
# colours its lines) or the end of the line. Cutting too much is harmless; a query may hold spaces.
_QUERY: Final = re.compile(r"(/[^\s?\"\x1b]*)\?[^\"\x1b\n]*?(?=\s+HTTP/\d|[\"\x1b\n]|$)")
ACCESS_LOGGERS: Final = ("werkzeug", "gunicorn.access")


def strip_queries(message: str) -> str:
    """``GET /launch/callback?code=x&state=y HTTP/1.1`` -> ``GET /launch/callback HTTP/1.1``."""
    return _QUERY.sub(r"\1", message)


class StripQuery(logging.Filter):
    """Rewrites the record's message with every query string removed (the record is still logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = strip_queries(message), ()
        return True


def install(names: tuple[str, ...] = ACCESS_LOGGERS) -> None:
    """Add the filter to the access loggers once (``create_app`` runs many times in one test process)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, StripQuery) for f in logger.filters):
            logger.addFilter(StripQuery())
