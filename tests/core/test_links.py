"""Addresses reversed once and filled in per id (syllabus.core.links)."""

from __future__ import annotations

from django.urls import reverse, set_script_prefix

from syllabus.core import links


def test_an_id_link_is_the_address_reverse_gives_for_that_id() -> None:
    link = links.by_id("enrollment:team-person")
    assert [link(7), link(918273645)] == [
        reverse("enrollment:team-person", args=[7]),
        reverse("enrollment:team-person", args=[918273645]),
    ]
    with_course = links.by_id("enrollment:participant", 918273645)
    assert with_course(12) == reverse("enrollment:participant", args=[918273645, 12])


def test_addresses_follow_the_script_prefix_even_one_holding_the_stand_in() -> None:
    try:
        set_script_prefix("/lms-918273645/")
        assert links.address("progress:dashboard") == reverse("progress:dashboard")
        assert links.by_id("enrollment:team-person")(5) == reverse("enrollment:team-person", args=[5])
        assert links.address("progress:dashboard").startswith("/lms-918273645/")
    finally:
        set_script_prefix("/")
