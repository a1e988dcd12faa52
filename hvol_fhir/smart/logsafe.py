"""Values from outside (a callback's ``error``, a token endpoint's ``error_description``) in log lines.

Escaped so that a line break, a terminal escape or markup sent by a server or an attacker cannot forge a
second log line or reach an operator's terminal: ``ascii()`` of the truncated text, quotes included.
"""

from __future__ import annotations

from typing import Any


def escaped(value: Any, limit: int = 120) -> str:
    """``value`` as one printable ASCII token for a log line; ``-`` when empty."""
    if value is None or value == "":
        return "-"
    return ascii(str(value)[:limit])
