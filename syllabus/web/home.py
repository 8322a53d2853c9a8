"""What a member sees at "/": the learner's dashboard, which the progress app registers in its AppConfig.ready().

web imports no other app's views, so the dashboard is handed over here instead. Without a registered view (or for
a platform administrator who is not a member) "/" shows the plain welcome page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponseBase

HomeView = Callable[..., HttpResponseBase]
_home: list[HomeView] = []


def register(view: HomeView) -> None:
    _home[:] = [view]


def registered() -> HomeView | None:
    return _home[0] if _home else None
