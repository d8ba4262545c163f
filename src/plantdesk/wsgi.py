import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plantdesk.settings")
application = get_wsgi_application()

# Everything loaded so far lives as long as the worker: keep it out of the garbage collector's walks,
# and collect less often (a request allocates thousands of short-lived ORM objects).
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
