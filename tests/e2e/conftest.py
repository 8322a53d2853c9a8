"""Browser-test fixtures: Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Never run `playwright install`: the browser is the system's /usr/bin/chromium (`make browser` installs it).

One browser per test session, so one per pytest-xdist worker; every page gets its own context, so cookies and
storage never leak between tests. `page` and `phone_page` keep the app's Content Security Policy, as a real
visitor's browser does; `axe_page` bypasses it, because injecting axe-core is an inline <script> that
`script-src 'self'` refuses (test_shell.py checks separately that pages load under the CSP without violations).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from syllabus.access.capabilities import BUILTIN_ROLES
from syllabus.access.models import Role
from syllabus.accounts.models import Membership
from tests.conftest import World
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, TIMEOUT_MS, OpenPage, watch
from tests.factories import MembershipFactory, UserFactory


class SerialLiveServer(WSGIServer):
    """The live server, answering one request at a time.

    The SQLite test database lives in memory, so every live-server thread shares one connection. A browser opens
    several requests at once (a video, its captions, the pdf.js worker...), and two requests in one connection
    interleave their savepoints ("no such savepoint"). One request at a time keeps them apart; Django's server
    then answers with "Connection: close", so a waiting browser connection never blocks the next request.
    """

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # LiveServerThread.run() already installed the shared connections in the thread that serves requests.
        self.connections_override = connections_override
        self.busy = threading.Lock()
        self.accepting = True

    def verify_request(self, request: Any, client_address: Any) -> bool:
        return self.accepting

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.busy:
            super().process_request(request, client_address)

    def quiesce(self) -> None:
        """Refuse new requests and wait for the one being answered, before pytest-django flushes the database.

        A page's last request (the player's first heartbeat, say) can still be running when the test ends: its
        writes would land in the middle of the flush ("FOREIGN KEY constraint failed"). Closing the browser
        context does not stop a request the server has already read.
        """
        self.accepting = False
        with self.busy:
            pass


LiveServerThread.server_class = SerialLiveServer


@pytest.fixture(autouse=True)
def builtin_roles(transactional_db: None) -> None:
    """Put back the built-in roles (a data migration) that the flush after each transactional test removes."""
    for role in BUILTIN_ROLES:
        Role.objects.update_or_create(
            organization=None, key=role.key, defaults={"name": role.name, "description": role.description}
        )


@pytest.fixture(autouse=True)
def quiet_live_server(builtin_roles: None, live_server: Any) -> Iterator[None]:
    """Answer this test's requests, and none once it ends: set up after the database, so torn down before its flush."""
    server: SerialLiveServer = live_server.thread.httpd
    server.accepting = True
    yield
    server.quiesce()


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    # Playwright's sync API keeps an asyncio event loop marked as running on the main thread for as long as it
    # lives. Django's async-safety guard sees that loop and would refuse every ORM call on the main thread: the
    # tests' own fixtures and pytest-django's flush between tests. Nothing runs concurrently (each sync call
    # blocks until the browser answers; the live server has its own thread), so the guard protects nothing here.
    # Browser tests are transactional, so pytest-django runs them after every other database test: the switch
    # stays off for those.
    # Another effect of that running loop: Django's per-thread connection handler switches to context-local
    # storage, so the main thread gets a second connection to the same test database, without what pytest-django
    # attached to the first (serialized_rollback cannot work). Hence the `builtin_roles` fixture.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Browser tests need Debian's chromium at {CHROMIUM} (run `make browser`).")
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def open_page(browser: Browser, live_server: Any) -> Iterator[OpenPage]:
    """Factory for pages, each in a new context: `phone=True` for 375 x 740, `bypass_csp=True` for axe."""
    contexts: list[BrowserContext] = []

    def _open(*, phone: bool = False, bypass_csp: bool = False) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            bypass_csp=bypass_csp,
            locale="en-GB",
            timezone_id="UTC",
            reduced_motion="reduce",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch(page)
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    """A desktop page (1280 x 800) with the app's CSP in force."""
    return open_page()


@pytest.fixture
def phone_page(open_page: OpenPage) -> Page:
    """A phone page (375 x 740) with the app's CSP in force."""
    return open_page(phone=True)


@pytest.fixture
def axe_page(open_page: OpenPage) -> Page:
    """A desktop page that ignores the CSP, so that axe-core can be injected."""
    return open_page(bypass_csp=True)


@pytest.fixture
def two_org_person(world: World) -> Membership:
    """A person who works for both Acme Health and Globex, so chooses one after signing in."""
    user = UserFactory(display_name="Tess Twohats")
    MembershipFactory(organization=world.other_org, user=user)
    return MembershipFactory(organization=world.org, user=user, org_unit=world.hq)
