"""Snapshots: major or minor, and the review diff."""

from __future__ import annotations

import copy

from syllabus.catalog import versions


def snapshot() -> dict:
    return {
        "schema": 1,
        "title": "Hand hygiene",
        "summary": "Clean hands save lives.",
        "description": "<p>Why it matters.</p>",
        "cover_asset_id": None,
        "category": {"id": 1, "name": "Safety"},
        "tags": ["hygiene"],
        "skills": [],
        "language": "en",
        "level": "beginner",
        "duration_minutes": 20,
        "visibility": "organization",
        "audience_id": None,
        "sections": [
            {
                "uid": "s1",
                "title": "Basics",
                "summary": "",
                "activities": [
                    {
                        "uid": "a1",
                        "kind": "page",
                        "title": "The five moments",
                        "config": {"body": "<p>Before touching a patient.</p>"},
                        "completion": {"rule": "viewed"},
                        "is_required": True,
                        "duration_minutes": 5,
                        "skills": [],
                    },
                    {
                        "uid": "a2",
                        "kind": "page",
                        "title": "Technique",
                        "config": {"body": "<p>Rub palms together.</p>"},
                        "completion": {"rule": "viewed"},
                        "is_required": True,
                        "duration_minutes": 5,
                        "skills": [],
                    },
                ],
            }
        ],
    }


def test_a_first_version_is_major():
    assert versions.classify(None, snapshot()) == "major"


def test_text_title_order_and_metadata_changes_are_minor():
    old, new = snapshot(), snapshot()
    new["title"] = "Hand hygiene for everyone"
    new["sections"][0]["activities"][0]["config"]["body"] = "<p>Before and after.</p>"
    new["sections"][0]["activities"].reverse()
    new["tags"] = ["hygiene", "infection"]
    assert versions.classify(old, new) == "minor"


def test_added_removed_or_rekinded_activities_are_major():
    old = snapshot()
    added = copy.deepcopy(old)
    added["sections"][0]["activities"].append({**old["sections"][0]["activities"][0], "uid": "a3"})
    removed = copy.deepcopy(old)
    removed["sections"][0]["activities"].pop()
    rekinded = copy.deepcopy(old)
    rekinded["sections"][0]["activities"][0]["kind"] = "video"
    new_rule = copy.deepcopy(old)
    new_rule["sections"][0]["activities"][0]["completion"] = {"rule": "viewed", "percent": 50}
    new_section = copy.deepcopy(old)
    new_section["sections"].append({"uid": "s2", "title": "Empty", "summary": "", "activities": []})
    for changed in (added, removed, rekinded, new_rule, new_section):
        assert versions.classify(old, changed) == "major"


def test_the_diff_names_what_changed_where():
    old, new = snapshot(), snapshot()
    new["summary"] = "Clean hands save many lives."
    new["sections"][0]["activities"][1]["title"] = "Hand rub technique"
    new["sections"][0]["activities"].append({**old["sections"][0]["activities"][0], "uid": "a3", "title": "Gloves"})
    changes = versions.diff(old, new)
    summary = [(c.target, c.action, c.title) for c in changes]
    assert ("course", "changed", "Hand hygiene") in summary
    assert ("activity", "changed", "Hand rub technique") in summary
    assert ("activity", "added", "Gloves") in summary
    course_change = next(c for c in changes if c.target == "course")
    assert [f.name for f in course_change.fields] == ["summary"]
    added = next(c for c in changes if c.action == "added")
    assert added.structural


def test_a_diff_against_nothing_lists_everything_as_added():
    changes = versions.diff(None, snapshot())
    assert [(c.target, c.action) for c in changes if c.target != "course"] == [
        ("section", "added"),
        ("activity", "added"),
        ("activity", "added"),
    ]


def test_word_diff_marks_insertions_and_deletions():
    assert versions.word_diff("wash your hands", "wash both hands") == [
        ("equal", "wash "),
        ("delete", "your"),
        ("insert", "both"),
        ("equal", " hands"),
    ]


def test_asset_ids_include_the_cover_and_inline_images():
    snap = snapshot()
    snap["cover_asset_id"] = 7
    snap["description"] = '<p><img src="/courses/3/assets/9/diagram.png" alt=""></p>'
    assert versions.asset_ids(snap) == [7, 9]


def test_an_asset_path_typed_as_text_or_a_link_is_not_published():
    snap = snapshot()
    snap["description"] = '<p>See /courses/3/assets/9/secret.pdf or <a href="/courses/3/assets/10/x.pdf">this</a>.</p>'
    assert versions.asset_ids(snap) == []


def test_the_diff_reads_names_and_labels_not_stored_codes(db):
    old, new = snapshot(), snapshot()
    new["level"] = "advanced"
    new["language"] = "fr"
    new["visibility"] = "audience"
    new["audience_id"] = 999_999
    fields = {f.name: f for f in next(c for c in versions.diff(old, new) if c.target == "course").fields}
    assert (fields["level"].before, fields["level"].after) == ("Beginner", "Advanced")
    assert fields["language"].after == "French (fr)"
    assert fields["visibility"].after == "An audience"
    assert fields["audience_id"].after == "a deleted audience"


def test_rewrapped_html_is_not_a_change():
    old, new = snapshot(), snapshot()
    old["description"] = "<p>Why it\n   matters to\nevery patient.</p>"
    new["description"] = "<p>Why it matters to every patient.</p>"
    assert [c for c in versions.diff(old, new) if c.target == "course"] == []
    assert {op for op, _text in versions.word_diff("one  two\n three", "one two\nthree")} == {"equal"}


def test_completion_rules_read_as_their_labels():
    old, new = snapshot(), snapshot()
    new["sections"][0]["activities"][0]["completion"] = {"rule": "viewed", "percent": 50}
    change = next(c for c in versions.diff(old, new) if c.target == "activity")
    completion = next(f for f in change.fields if f.name == "completion")
    assert completion.before == "When the learner opens it"
    assert completion.after == "When the learner opens it (percent 50)"
