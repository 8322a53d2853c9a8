"""The navigation menu marks the page the person is on."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World

pytestmark = pytest.mark.django_db


def current_items(html: str) -> set[str]:
    """The menu's items marked current (the menu is drawn for wide and narrow screens alike)."""
    menus = "".join(re.findall(r'<ul class="nav-list">(.*?)</ul>', html, flags=re.S))
    assert menus
    return set(re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', menus))


@pytest.mark.parametrize("name", ["web:home", "progress:dashboard"])
def test_my_learning_is_current_on_home_and_on_the_dashboard(client: Client, world: World, name: str) -> None:
    client.force_login(world.learner.user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert current_items(response.content.decode()) == {"My learning"}


def test_only_the_catalog_is_current_in_the_catalog(client: Client, world: World) -> None:
    client.force_login(world.learner.user)
    assert current_items(client.get(reverse("catalog:browse")).content.decode()) == {"Catalog"}
