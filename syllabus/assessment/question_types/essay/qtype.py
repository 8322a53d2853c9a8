"""Essay: a written answer a person grades. `grade` says "needs_grading" (or "gave_up" when nothing was written).

A response over `max_words` is refused on save with a message, so the learner shortens it before submitting.
`min_words` is not enforced on save (autosave keeps drafts of any length): the form shows it as a hint and the quiz
may ask `word_count_warning` before submitting. "editor" responses are sanitised HTML (plain text typed into the
textarea becomes paragraphs); "plain" responses keep their text as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from syllabus.assessment.question_types import base, choices
from syllabus.assessment.question_types.base import ZERO, Grade, Question, QuestionType, RenderContext
from syllabus.catalog.richtext import html_to_text, sanitize_html

if TYPE_CHECKING:
    from django.http import QueryDict

FORMAT_INVALID = "Choose the response format: rich text or plain text."
WORDS_INVALID = "Give a whole number of words from 0 to {limit} (0: no limit)."
WORDS_ORDER = "The minimum number of words is more than the maximum."
FIELD_TOO_LONG = "This text is too long (at most {limit} characters)."
FIELD_NOT_TEXT = "This must be text."
TEXT_NOT_TEXT = "The answer must be text."
TEXT_TOO_LONG = "The answer is too long (at most {limit} characters)."
TOO_MANY_WORDS = "Your answer has {count} words; the limit is {limit}. Shorten it to save it."
TOO_FEW_WORDS = "Your answer has {count} words; write at least {limit}."

FORMATS = (("editor", gettext_lazy("Rich text (HTML)")), ("plain", gettext_lazy("Plain text")))
WORDS_LIMIT = 100_000
RESPONSE_LIMIT = 200_000  # characters of a response (HTML included)
# Markup an editor (or an author) writes; text without any is plain text typed into the textarea. `[^<>]*`, not
# `[^>]*`: with the latter, 200,000 characters of "<p <p <p..." (no ">") made every "<p" scan to the end, 14 seconds
# of CPU per autosave; stopping at the next "<" keeps the search linear.
_HTML_TAG = re.compile(
    r"</?(?:p|div|br|hr|ul|ol|li|h[1-6]|strong|b|em|i|u|s|del|sub|sup|a|blockquote|pre|code|table|tr|td|th|figure|img)"
    r"\b[^<>]*>",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+(?:['’\-.]\w+)*")


def count_words(text: str) -> int:
    """Words as a reader counts them: "don't", "well-known" and "3.5" are one word each, punctuation none."""
    return len(_WORD.findall(text))


def _limit(data: Mapping[str, Any], name: str) -> int:
    """A stored word limit (0 when a hand-made version holds something else)."""
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _as_html(text: str) -> str:
    """Sanitised HTML of an editor-format text; plain text (no editor script ran) becomes paragraphs first."""
    return sanitize_html(text if _HTML_TAG.search(text) else _paragraphs(text))


def _paragraphs(text: str) -> str:
    """Plain text typed where HTML is expected (no editor script): paragraphs at blank lines, breaks at others."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    return "".join("<p>" + escape(block).replace("\n", "<br>") + "</p>" for block in blocks)


class Essay(QuestionType):
    key = "essay"
    label = gettext_lazy("Essay")
    description = gettext_lazy("The learner writes an answer that a grader marks by hand.")
    template = "assessment/qtypes/essay/learner.html"
    author_template = "assessment/qtypes/essay/author.html"
    manual = True
    allows_tries = False

    # --- authoring ----------------------------------------------------------------------------------------------
    def clean(self, data: Mapping[str, Any], *, text: str = "") -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise ValidationError({"data": choices.DATA_NOT_OBJECT})
        errors: choices.Errors = {}
        response_format = data.get("response_format") or "editor"
        if response_format not in {key for key, _ in FORMATS}:
            errors["response_format"] = [FORMAT_INVALID]
            response_format = "editor"
        words = {name: self._words(data.get(name), name, errors) for name in ("min_words", "max_words")}
        if words["max_words"] and words["min_words"] > words["max_words"]:
            errors.setdefault("min_words", []).append(WORDS_ORDER)
        grader_info = self._html(data.get("grader_info"), "grader_info", errors)
        template = self._long_text(data.get("template"), "template", errors)
        if response_format == "editor":
            template = _as_html(template)
        choices.raise_if(errors)
        return {"response_format": response_format, **words, "grader_info": grader_info, "template": template}

    def _words(self, raw: Any, name: str, errors: choices.Errors) -> int:
        if raw is None or raw == "":
            return 0
        words = choices.small_int(raw)
        if words is None or words > WORDS_LIMIT:
            errors[name] = [WORDS_INVALID.format(limit=f"{WORDS_LIMIT:,}")]
            return 0
        return words

    def _long_text(self, raw: Any, name: str, errors: choices.Errors) -> str:
        text = choices.as_text(raw)
        if text is None:
            errors[name] = [FIELD_NOT_TEXT]
            return ""
        if len(text) > choices.HTML_LIMIT:
            errors[name] = [FIELD_TOO_LONG.format(limit=f"{choices.HTML_LIMIT:,}")]
            return ""
        return text.replace("\r\n", "\n")

    def _html(self, raw: Any, name: str, errors: choices.Errors) -> str:
        return sanitize_html(self._long_text(raw, name, errors))

    def default_data(self) -> dict[str, Any]:
        return {"response_format": "editor", "min_words": 0, "max_words": 0, "grader_info": "", "template": ""}

    def data_from_form(self, post: QueryDict, *, prefix: str = "") -> dict[str, Any]:
        return {
            name: post.get(f"{prefix}{name}", "")
            for name in ("response_format", "min_words", "max_words", "grader_info", "template")
        }

    def render_author(
        self, *, data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None, prefix: str = ""
    ) -> SafeString:
        data = data if isinstance(data, Mapping) else {}
        current = data.get("response_format") or "editor"
        context = {
            "qtype": self,
            "prefix": prefix,
            "errors": errors or {},
            "formats": [(key, label, key == current) for key, label in FORMATS],
            **{name: choices.as_text(data.get(name)) or "" for name in ("min_words", "max_words")},
            **{name: choices.as_text(data.get(name)) or "" for name in ("grader_info", "template")},
        }
        return mark_safe(render_to_string(self.author_template, context))  # autoescaped template

    # --- learners -----------------------------------------------------------------------------------------------
    def _plain(self, question: Question, text: str) -> str:
        return html_to_text(text) if question.data.get("response_format", "editor") == "editor" else text

    def render_context(self, ctx: RenderContext) -> dict[str, Any]:
        data = ctx.question.data
        text = ctx.response.get("text")
        answered = isinstance(text, str) and bool(text)
        value = str(text) if answered else str(data.get("template", ""))
        shown: SafeString | str = ""
        if ctx.readonly:
            # Read-only views show the answer as it reads, not its source.
            if data.get("response_format", "editor") == "editor":
                shown = choices.block_html(value)
            else:
                shown = mark_safe("<br>".join(escape(line) for line in value.split("\n")))  # escaped
        min_words, max_words = _limit(data, "min_words"), _limit(data, "max_words")
        return {
            "value": value,
            "shown": shown,
            "editor": data.get("response_format", "editor") == "editor",
            "min_words": min_words,
            "max_words": max_words,
            "word_count": count_words(self._plain(ctx.question, value)) if answered else 0,
            "answered": answered,
        }

    def response_from_form(self, question: Question, variant: Mapping[str, Any], post: QueryDict, prefix: str) -> Any:
        raw = post.get(f"{prefix}text")
        return {} if raw is None else {"text": raw}

    def clean_response(self, question: Question, variant: Mapping[str, Any], raw: Any) -> dict[str, Any]:
        response = base.as_response(raw)
        choices.only_keys(response, {"text"})
        text = response.get("text")
        if text is None:
            return {}
        if not isinstance(text, str):
            raise ValidationError({"text": TEXT_NOT_TEXT})
        if len(text) > RESPONSE_LIMIT:
            raise ValidationError({"text": TEXT_TOO_LONG.format(limit=f"{RESPONSE_LIMIT:,}")})
        # NUL is no character a learner types, and PostgreSQL's jsonb refuses "\u0000": saving it was a 500.
        text = text.replace("\r\n", "\n").replace("\x00", "")
        if question.data.get("response_format", "editor") == "editor":
            text = _as_html(text)
            if choices.is_blank_html(text):
                return {}
        elif not text.strip():
            return {}
        template = str(question.data.get("template", ""))
        if template and text.strip() == template.strip():
            return {}  # the template as it was given is no answer
        limit = _limit(question.data, "max_words")
        count = count_words(self._plain(question, text))
        if limit and count > limit:
            raise ValidationError({"text": TOO_MANY_WORDS.format(count=count, limit=limit)})
        return {"text": text}

    def is_answered(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> bool:
        return isinstance(response.get("text"), str) and bool(response["text"].strip())

    def word_count_warning(self, question: Question, response: Mapping[str, Any]) -> str:
        """A message when an answer is shorter than `min_words` ("" otherwise), for the quiz to show at submit."""
        limit = _limit(question.data, "min_words")
        text = response.get("text")
        count = count_words(self._plain(question, text)) if isinstance(text, str) else 0
        return TOO_FEW_WORDS.format(count=count, limit=limit) if limit and count < limit else ""

    # --- grading ------------------------------------------------------------------------------------------------
    def grade(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
        if not self.is_answered(question, variant, response):
            return Grade(ZERO, "gave_up")
        return Grade(None, "needs_grading")

    def summarise_response(self, question: Question, variant: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        text = response.get("text")
        return self._plain(question, text).strip() if isinstance(text, str) else ""

    def search_text(self, question: Question) -> str:
        parts = [
            choices.plain(str(question.data.get("grader_info", ""))),
            self._plain(question, str(question.data.get("template", ""))),
        ]
        return "\n".join(part.strip() for part in parts if part.strip())


base.register(Essay())
