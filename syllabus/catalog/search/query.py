"""What a person typed, turned into a query each engine runs safely.

Nothing the person types reaches an engine's query language as syntax: the text is cut into words here (letters
and digits, as FTS5's unicode61 tokenizer and PostgreSQL's parser cut them), each word is quoted, and the words are
ANDed. So quotes, `AND`/`OR`/`NOT`/`NEAR`, `*`, `^`, `:`, `-`, parentheses and column filters are just text. The
last word matches as a prefix ("vacc" finds "vaccination") so results follow the typing.
"""

from __future__ import annotations

import re
import unicodedata

# Enough for any real query; more words only make a slower query that matches nothing.
MAX_TERMS = 12
MAX_TERM_LENGTH = 60
_WORD = re.compile(r"[^\W_]+")


def terms(query: str) -> list[str]:
    """The words of a query, lower-cased and normalised (NFKC), at most MAX_TERMS of them. [] means no search."""
    text = unicodedata.normalize("NFKC", query or "").lower()
    return [word[:MAX_TERM_LENGTH] for word in _WORD.findall(text)][:MAX_TERMS]


def fts5_match(words: list[str], *, column: str | None = None) -> str:
    """An FTS5 MATCH expression: every word as a quoted string (implicit AND), the last one as a prefix.

    Words hold letters and digits only (see `terms`), so they can never close the quotes; doubling any quote
    anyway keeps this function safe on its own.
    """
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    quoted[-1] += "*"
    expression = " ".join(quoted)
    return f"{{{column}}} : ({expression})" if column else expression


def tsquery(words: list[str]) -> str:
    """A to_tsquery() input: quoted words joined by &, the last one a prefix (`'fire' & 'safe':*`)."""
    quoted = ["'" + word.replace("'", "''").replace("\\", "\\\\") + "'" for word in words]
    quoted[-1] += ":*"
    return " & ".join(quoted)
