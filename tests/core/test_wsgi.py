"""The WSGI entry point that gunicorn loads in each worker."""

from __future__ import annotations

import gc
import importlib


def test_the_entry_point_loads_the_views_and_freezes_them_out_of_the_collectors_way() -> None:
    gc.unfreeze()
    try:
        from syllabus import wsgi

        importlib.reload(wsgi)
        # Everything loaded at start-up (settings, models, every view module) sits in the permanent generation.
        assert gc.get_freeze_count() > 50_000
        assert callable(wsgi.application)
    finally:
        gc.unfreeze()
