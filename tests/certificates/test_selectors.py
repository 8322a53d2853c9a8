"""Reading certificates: who sees which (from the attacker's side too), the filters (the derived "expired" and
"expiring within N days" included), and one certificate by its public id."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from syllabus.access.policy import principal_for
from syllabus.certificates import selectors
from syllabus.certificates.models import Certificate
from syllabus.certificates.services import issuing
from tests.certificates.conftest import NOW, make_course
from tests.certificates.people_fixtures import issue, make_award
from tests.conftest import World

pytestmark = pytest.mark.django_db

Filters = selectors.CertificateFilters


@pytest.fixture
def issued(world: World, award, template, officer, moved_clock) -> dict[str, Certificate]:  # type: ignore[no-untyped-def]
    """Lena valid (no expiry), Rita expiring in 10 days, Ivan expired, Eddie revoked, and Lena's superseded one
    of a second course."""
    other = make_award(make_course(world, "Fire safety"), template)
    out = {
        "lena": issue(world.learner, award),
        "rita": issue(world.report, award, expires=NOW + dt.timedelta(days=10)),
        "ivan": issue(world.indirect_report, award, NOW - dt.timedelta(days=400), expires=NOW - dt.timedelta(days=1)),
        "eddie": issue(world.engineer, award),
        "lena_old": issue(world.learner, other, NOW - dt.timedelta(days=30)),
    }
    out["lena_new"] = issue(world.learner, other, NOW - dt.timedelta(days=1))
    issuing.certificate_revoke(certificate=out["eddie"], by=officer.user, reason="Issued in error")
    return out


def ids(rows) -> set[int]:  # type: ignore[no-untyped-def]
    return {row.pk for row in rows}


def test_officers_see_everyone_managers_their_line_and_learners_their_own(world: World, issued, officer) -> None:
    everyone = ids(issued.values())
    assert ids(selectors.certificate_list(principal=principal_for(officer.user, world.org))) == everyone
    assert ids(selectors.certificate_list(principal=principal_for(world.org_admin.user, world.org))) == everyone
    # Max manages Rita, who manages Ivan: Lena (no manager) and Eddie are not his.
    manager = ids(selectors.certificate_list(principal=principal_for(world.manager.user, world.org)))
    assert manager == {issued["rita"].pk, issued["ivan"].pk}
    learner = ids(selectors.certificate_list(principal=principal_for(world.learner.user, world.org)))
    assert learner == {issued["lena"].pk, issued["lena_old"].pk, issued["lena_new"].pk}


def test_another_organisation_sees_nothing_even_with_every_right(world: World, issued) -> None:
    outsider = principal_for(world.outsider.user, world.other_org)
    assert not selectors.certificate_list(principal=outsider).exists()
    # Their own organisation's principal asking for our certificates by public id: not found.
    assert selectors.certificate_get(principal=outsider, public_id=issued["lena"].public_id) is None


def test_statuses_are_derived_at_the_moment_asked(world: World, issued, officer) -> None:
    principal = principal_for(officer.user, world.org)

    def having(status: str, **kwargs: object) -> set[int]:
        return ids(selectors.certificate_list(principal=principal, filters=Filters(status=status, **kwargs)))  # type: ignore[arg-type]

    assert having("valid") == {issued["lena"].pk, issued["rita"].pk, issued["lena_new"].pk}
    assert having("expired") == {issued["ivan"].pk}
    assert having("revoked") == {issued["eddie"].pk}
    assert having("superseded") == {issued["lena_old"].pk}
    assert having("expiring") == {issued["rita"].pk}
    assert having("expiring", expiring_within_days=5) == set()
    # Eleven days on, Rita's has expired too: nothing is stored, the status follows the clock.
    later = selectors.certificate_list(
        principal=principal, filters=Filters(status="expired"), now=NOW + dt.timedelta(days=11)
    )
    assert ids(later) == {issued["ivan"].pk, issued["rita"].pk}
    for certificate in Certificate.objects.all():
        assert certificate.status_on(NOW) in ("valid", "expired", "superseded", "revoked")


def test_filters_by_award_course_search_and_org_unit_subtree(world: World, issued, officer, award) -> None:
    principal = principal_for(officer.user, world.org)

    def matching(**kwargs: object) -> set[int]:
        return ids(selectors.certificate_list(principal=principal, filters=Filters(**kwargs)))  # type: ignore[arg-type]

    first_award = {issued[k].pk for k in ("lena", "rita", "ivan", "eddie")}
    assert matching(award_id=award.pk) == first_award
    assert matching(course_id=award.course_id) == first_award
    assert matching(search="rita") == {issued["rita"].pk}
    assert matching(search=world.indirect_report.user.email.upper()) == {issued["ivan"].pk}
    # Sales and below: Rita (Sales), Ivan and Lena (Sales East); not Eddie (Engineering).
    sales = {issued[k].pk for k in ("rita", "ivan", "lena", "lena_old", "lena_new")}
    assert matching(org_unit_path=world.sales.path) == sales
    assert matching(org_unit_path=world.engineering.path) == {issued["eddie"].pk}
    assert matching(search="%") == set()  # a wildcard is a plain character
    assert matching(membership_id=world.report.pk) == {issued["rita"].pk}


def test_one_certificate_by_public_id_only_for_those_who_may_see_it(world: World, issued) -> None:
    rita = issued["rita"]
    assert selectors.certificate_get(principal=principal_for(world.report.user, world.org), public_id=rita.public_id)
    assert selectors.certificate_get(principal=principal_for(world.manager.user, world.org), public_id=rita.public_id)
    assert (
        selectors.certificate_get(principal=principal_for(world.learner.user, world.org), public_id=rita.public_id)
        is None
    )
    assert (
        selectors.certificate_get(principal=principal_for(world.engineer.user, world.org), public_id=uuid.uuid4())
        is None
    )
    assert selectors.certificate_get(principal=principal_for(world.report.user, world.org), public_id="nope") is None


def test_a_holders_certificates_are_theirs_only_newest_first(world: World, issued) -> None:
    mine = list(selectors.certificates_of(world.learner))
    assert [c.pk for c in mine] == [issued["lena"].pk, issued["lena_new"].pk, issued["lena_old"].pk]


def test_the_unit_filter_offers_a_manager_only_the_units_of_their_people(world: World, issued, officer) -> None:
    assert {u.pk for u in selectors.units_for(principal_for(world.manager.user, world.org))} == {
        world.sales.pk,
        world.sales_east.pk,
    }
    assert world.engineering.pk in {u.pk for u in selectors.units_for(principal_for(officer.user, world.org))}


@pytest.mark.parametrize("people", [2, 12])
def test_a_page_of_the_list_costs_the_same_queries_whatever_its_size(
    world: World, award, officer, moved_clock, django_assert_num_queries, people: int
) -> None:
    from tests.factories import MembershipFactory

    for _ in range(people):
        issue(MembershipFactory(organization=world.org, org_unit=world.sales), award)
    principal = principal_for(officer.user, world.org)
    with django_assert_num_queries(1):
        rows = list(selectors.certificate_list(principal=principal)[:50])
        for row in rows:
            assert row.membership.user.email and row.award is not None and row.course is not None
            assert row.membership.org_unit is not None
