"""Extras that apps add to the learner's pages of an app that may not import them: the dashboard and the transcript.

progress owns the dashboard and the transcript, but the apps that build on progress (certificates today) may show
something there, and progress may not import them (an import-linter contract says so). So those pages ask this
registry, and each app registers its providers in its AppConfig.ready():

- `register_dashboard(key, provider)`: `provider(request, principal, organization) -> str`, a block for the
  learner's dashboard (a `<section>` with an `<h2>`, already rendered and escaped: a `SafeString`), or "" to show
  nothing. Shown after the learning sections, in registration order.
- `register_transcript(key, provider)`: `provider(principal, membership, completion_ids) -> {completion id:
  [RowLink, ...]}`, links shown beside transcript lines (the certificate a completion earned). It is called once
  per page with every line of the page, so it costs a constant number of queries, never one per line.
  `principal` is who looks (the person, or a manager reading someone's transcript): only links they may follow.

Registering a key again replaces its provider (ready() may run twice). The pages stay as they are with no provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from django.http import HttpRequest

    from syllabus.access.policy import Principal
    from syllabus.accounts.models import Membership, Organization


@dataclass(frozen=True)
class RowLink:
    """A link beside one transcript line: its text, where it leads, words for screen readers that tell it apart
    from the same link on other lines ("for Fire safety"), and an optional short status ("Expired")."""

    label: str
    url: str
    hidden: str = ""
    note: str = ""


DashboardProvider = Callable[["HttpRequest", "Principal", "Organization"], str]
TranscriptProvider = Callable[["Principal", "Membership", Sequence[int]], Mapping[int, Sequence[RowLink]]]

_dashboard: dict[str, DashboardProvider] = {}
_transcript: dict[str, TranscriptProvider] = {}


def register_dashboard(key: str, provider: DashboardProvider) -> None:
    _dashboard[key] = provider


def register_transcript(key: str, provider: TranscriptProvider) -> None:
    _transcript[key] = provider


def unregister(key: str) -> None:
    """For tests that register a throwaway provider."""
    _dashboard.pop(key, None)
    _transcript.pop(key, None)


def dashboard_panels(request: HttpRequest, principal: Principal, organization: Organization) -> list[SafeString]:
    """The registered blocks for this person's dashboard, in registration order (empty ones left out)."""
    panels = []
    for provider in list(_dashboard.values()):
        html = provider(request, principal, organization)
        if html:
            # Providers render with the template engine (autoescaped); the contract says what they return is safe.
            panels.append(mark_safe(str(html)))
    return panels


def transcript_links(
    *, principal: Principal, membership: Membership, completion_ids: Sequence[int]
) -> dict[int, list[RowLink]]:
    """Every provider's links for these transcript lines, keyed by completion id."""
    found: dict[int, list[RowLink]] = {}
    ids = list(completion_ids)
    if not ids:
        return found
    for provider in list(_transcript.values()):
        for completion_id, links in provider(principal, membership, ids).items():
            found.setdefault(completion_id, []).extend(links)
    return found


def with_links(items: Sequence[Any], links: Mapping[int, Sequence[RowLink]]) -> list[tuple[Any, Sequence[RowLink]]]:
    """Transcript items paired with their links, for templates (which cannot look a key up in a dict)."""
    return [(item, links.get(item.completion_id, ())) for item in items]
