import gc
import io
import logging
import os
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plantdesk.settings")
application = get_wsgi_application()

# Paths whose first request in a worker imports every view and API module, builds the routers and
# compiles the sign-in templates (about half a second).
WARM_UP_PATHS = ("/login/", "/api/v1/incidents")


def warm_up(app: Any) -> None:
    """Serve the first requests of this worker to itself, before it takes traffic: a user's first request
    to each worker would otherwise wait for the imports. Never fatal (e.g. a database not migrated yet)."""
    from django.conf import settings
    from django.db import connections

    host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"), "localhost")
    for path in WARM_UP_PATHS:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": host,
            "SERVER_PORT": "80", "HTTP_HOST": host, "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(), "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        }  # fmt: skip
        try:
            response = app(environ, lambda status, headers, exc_info=None: None)
            for _chunk in response:
                pass
            getattr(response, "close", lambda: None)()
        except Exception:  # a warm-up that fails leaves the worker as it was
            logging.getLogger("plantdesk.wsgi").warning("warm-up request %s failed", path, exc_info=True)
    connections.close_all()  # requests run on other threads, with their own connections


warm_up(application)

# Everything loaded so far lives as long as the worker: keep it out of the garbage collector's walks,
# and collect less often (a request allocates thousands of short-lived ORM objects).
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
