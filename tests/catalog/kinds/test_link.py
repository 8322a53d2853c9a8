"""The Link kind: an external page in a new tab, or in a sandboxed iframe for allow-listed hosts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from syllabus.catalog import services
from syllabus.catalog.activity_kinds import base
from syllabus.catalog.activity_kinds.link import kind as link_kind
from syllabus.catalog.models import CatalogSettings, Course
from tests.conftest import World

pytestmark = pytest.mark.django_db
kind = base.get("link")


@pytest.fixture
def course(world: World) -> Course:
    return services.course_create(organization=world.org, by=world.instructor.user, title="Fire safety")


def clean(course: Course, world: World, data: dict[str, object]) -> dict[str, object]:
    return kind.clean(
        data=data, files={}, context=base.AuthorContext(course=course, by=world.instructor.user, current={})
    )


def learner_context(course: Course, allowlist: frozenset[str]) -> base.LearnerContext:
    return base.LearnerContext(
        request=RequestFactory().get("/"), course=course, version_id=1, activity={}, signal_url="", asset_url=str,
        embed_allowlist=allowlist,
    )  # fmt: skip


def test_an_address_is_normalised_and_opens_in_a_new_tab_by_default(course: Course, world: World) -> None:
    config = clean(course, world, {"url": "  HTTPS://Guidance.Example.org:443/fire?x=1#part ", "description": "Law."})
    assert config == {
        "url": "https://guidance.example.org/fire?x=1#part",
        "host": "guidance.example.org",
        "display": "new_tab",
        "description": "Law.",
    }
    assert kind.signals_on_open(config) == ()
    assert kind.open_target(config=config, context=learner_context(course, frozenset())) == config["url"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)//https://example.org",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//example.org/path",
        "https://user:pass@example.org/",
        "https://localhost/",
        "https://exa mple.org/",
        "https://example.org/\nSet-Cookie: x",
        "ftp://example.org/file",
    ],
)
def test_only_http_and_https_addresses_of_real_hosts_are_accepted(course: Course, world: World, url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, {"url": url})
    assert caught.value.message_dict == {"url": [link_kind.URL_INVALID]}


def test_an_empty_address_is_required(course: Course, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, {"url": ""})
    assert caught.value.message_dict == {"url": [link_kind.URL_REQUIRED]}


def test_embedding_needs_the_host_on_the_organisations_allow_list(course: Course, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, {"url": "https://guidance.example.org/", "display": "embed"})
    assert caught.value.message_dict == {"display": [link_kind.EMBED_NOT_ALLOWED.format(host="guidance.example.org")]}
    CatalogSettings.objects.create(organization=world.org, embed_allowlist="guidance.example.org\nother.example.org")
    config = clean(course, world, {"url": "https://guidance.example.org/", "display": "embed"})
    assert config["display"] == "embed"
    assert kind.signals_on_open(config) == ("opened",)
    context = learner_context(course, frozenset({"guidance.example.org"}))
    assert kind.csp_for(config=config, context=context) == {"frame-src": ["https://guidance.example.org"]}


def test_an_embed_is_not_shown_once_its_host_leaves_the_allow_list(course: Course, world: World) -> None:
    config = {"url": "https://guidance.example.org/", "host": "guidance.example.org", "display": "embed"}
    assert kind.csp_for(config=config, context=learner_context(course, frozenset())) == {}
    assert not link_kind.embeds(config, frozenset({"example.org"}))  # no subdomain matching
    html = str(kind.render_learner(learner_context_with(course, config, frozenset())))
    assert "<iframe" not in html and 'target="_blank"' in html


def learner_context_with(course: Course, config: dict[str, object], allowlist: frozenset[str]) -> base.LearnerContext:
    context = learner_context(course, allowlist)
    context.activity = {"uid": "x", "title": "Guidance", "config": config}
    context.open_url = "/open/"
    return context


def test_an_allowed_embed_is_a_sandboxed_iframe(course: Course) -> None:
    config = {"url": "https://guidance.example.org/", "host": "guidance.example.org", "display": "embed"}
    html = str(kind.render_learner(learner_context_with(course, config, frozenset({"guidance.example.org"}))))
    assert '<iframe src="https://guidance.example.org/"' in html
    assert 'sandbox="allow-scripts allow-same-origin allow-forms allow-popups"' in html


def test_an_embed_has_a_button_to_open_it_in_a_new_tab_above_the_frame(course: Course) -> None:
    # A site that refuses to be framed leaves a blank box: the way out must come first, and look like one.
    config = {"url": "https://guidance.example.org/", "host": "guidance.example.org", "display": "embed"}
    html = str(kind.render_learner(learner_context_with(course, config, frozenset({"guidance.example.org"}))))
    button = html.index('<a class="button" href="/open/" target="_blank" rel="noopener noreferrer">Open in a new tab')
    assert button < html.index("<iframe")
    assert "If the page from guidance.example.org does not show below, open it in a new tab." in html


def test_search_and_describe() -> None:
    config = {"url": "https://e.org/", "host": "e.org", "display": "new_tab", "description": "Read this."}
    assert kind.search_text(config) == "Read this."
    assert kind.describe(config) == {
        "Web address": "https://e.org/",
        "Opens": "in a new tab",
        "Description": "Read this.",
    }
    assert kind.asset_ids(config) == [] and kind.copy_config(config, {}) == config
