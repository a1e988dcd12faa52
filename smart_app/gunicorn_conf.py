"""Gunicorn settings for the app: ``gunicorn -c python:smart_app.gunicorn_conf``.

The access log names the path only (``%(U)s``), never the request line or the query string (``%(r)s``,
``%(q)s``): on ``/launch`` and ``/launch/callback`` the query holds the ``launch`` value, the authorization
code and the ``state``. The referrer (``%(f)s``) is left out too, as it can hold a query of its own.
``access_log.StripQuery`` on the ``gunicorn.access`` logger (installed by ``create_app``) covers a format
changed by hand.
"""

from __future__ import annotations

import os

wsgi_app = "smart_app.wsgi:app"
bind = os.environ.get("HVOL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HVOL_WORKERS", "4"))
accesslog = "-"
# remote address, time, method, path (no query), protocol, status, bytes, duration in ms
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)s'
