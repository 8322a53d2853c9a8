import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
application = get_wsgi_application()


def _freeze_what_is_loaded() -> None:
    """Load the URLconf (and with it every view, form and template tag module) now, then move everything loaded
    so far into the collector's permanent generation. Those objects live as long as the process anyway; left in
    the tracked generations, every full collection walked them all again (~80 ms, about once every 40 requests
    on a page of the size of bench/dashboards.py's), a pause some requests paid on top of their own time."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    gc.collect()
    gc.freeze()


_freeze_what_is_loaded()
