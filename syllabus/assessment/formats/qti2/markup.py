"""The pieces QTI reading and writing share (QTI 2 and the QTI 1.2 importer): namespaces, HTML carried inside QTI
XML in both directions, exact decimals, and Moodle cloze markup (how an item with several gaps becomes a Syllabus
`cloze` question, whose type parses the markup out of the text).

QTI item bodies are XHTML in the QTI namespace. Going in, elements lose their namespace and become an HTML
fragment (the question service sanitises it). Going out, the sanitised HTML Syllabus stores is parsed and rebuilt
as QTI's XHTML subset: tags QTI 2.1 lacks (`u`, `s`, `del`, `figure`, `figcaption`) travel as a `span`/`div` whose
class names them, so a round trip brings them back; inline runs at the top of a body get a wrapper `div`, since an
item body holds only blocks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from copy import deepcopy
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from lxml import etree
from lxml import html as lxml_html

QTI20 = "http://www.imsglobal.org/xsd/imsqti_v2p0"
QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI22 = "http://www.imsglobal.org/xsd/imsqti_v2p2"
QTI30 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# XHTML elements QTI 2.1 allows in item bodies (its `bodyElement`s that are HTML).
QTI_HTML = frozenset(
    {
        "a", "abbr", "acronym", "address", "b", "big", "blockquote", "br", "caption", "cite", "code", "col",
        "colgroup", "dd", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "kbd", "li", "ol", "p", "pre", "q", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "tt", "ul", "var",
    }
)  # fmt: skip
INLINE = frozenset(
    {
        "a", "abbr", "acronym", "b", "big", "br", "cite", "code", "dfn", "em", "i", "img", "kbd", "q", "samp",
        "small", "span", "strong", "sub", "sup", "tt", "var", "u", "s", "del",
        # QTI's inline interactions and gaps sit in running text too.
        "textEntryInteraction", "inlineChoiceInteraction", "gap",
    }
)  # fmt: skip
# Syllabus HTML tags QTI 2.1 has no element for: they travel as span/div with this class prefix.
CARRIED = {"u": "span", "s": "span", "del": "span", "figure": "div", "figcaption": "div"}
CARRIED_PREFIX = "syllabus-"
INLINE_WRAPPER = "syllabus-inline"
ATTRIBUTES = {
    "a": ("href", "title"),
    "img": ("src", "alt", "width", "height"),
    "th": ("scope", "colspan", "rowspan"),
    "td": ("colspan", "rowspan"),
}
# HTML whose content is code, not words: left out with everything inside (Syllabus's sanitiser allows none).
DROPPED = frozenset({"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math"})
# Elements never shown as question text: QTI machinery, or content that depends on the response (feedback).
NOT_TEXT = frozenset(
    {"feedbackBlock", "feedbackInline", "templateBlock", "templateInline", "printedVariable", "infoControl"}
)

_SPACE = re.compile(r"\s+")
_LINE_BREAK = re.compile(r"\s*\n\s*")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")


def local(el: Any) -> str:
    """The element's name without its namespace ("" for comments and other non-elements)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace(el: Any) -> str:
    tag = el.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def children(el: Any, name: str | None = None) -> list[Any]:
    """Child elements (of one local name when given), whatever their namespace."""
    return [c for c in el if isinstance(c.tag, str) and (name is None or local(c) == name)]


def child(el: Any, name: str) -> Any | None:
    found = children(el, name)
    return found[0] if found else None


def descendants(el: Any, name: str) -> list[Any]:
    # "{*}name" matches the name in any namespace or none, and lxml filters in C: readers call this on many subtrees.
    return list(el.iter(f"{{*}}{name}"))


def plain(el: Any | None) -> str:
    """The element's text content, whitespace collapsed."""
    if el is None:
        return ""
    return _SPACE.sub(" ", "".join(el.itertext())).strip()


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- limits on one item ---------------------------------------------------------------------------------------------

# An item costs little per byte and can cost a lot per element: the readers match rows with rows (choices with their
# feedback, rules with answers, responses with conditions) and walk from elements up to their ancestors, so a hostile
# 20 MB file of thousands of choices and feedbacks, or of elements nested hundreds deep, kept an import busy for
# hours. These limits, far beyond any real item (Syllabus's types take at most 50 to 100 rows), are checked in one
# pass before an item is read.
MAX_ITEM_ROWS = 2000  # elements of one repeated kind (choices, map entries, rules, feedbacks...), unless told less
MAX_ITEM_ELEMENTS = 50_000
MAX_ITEM_DEPTH = 40  # levels of elements below the item's own
ITEM_TOO_MANY_ROWS = "The item holds more than {limit} <{name}> elements: Syllabus refuses it."
ITEM_TOO_LARGE = "The item holds more than {limit} elements: Syllabus refuses it."
ITEM_TOO_DEEP = "The item nests its elements more than {limit} levels deep: Syllabus refuses it."


def item_refusal(item: Any, rows: Mapping[str, int]) -> str | None:
    """Why `item` is too big to read (one of the messages above), or None. `rows` limits the count of elements by
    their (local) name."""
    counts: dict[str, int] = {}
    total = depth = 0
    for event, element in etree.iterwalk(item, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        total += 1
        if total > MAX_ITEM_ELEMENTS:
            return ITEM_TOO_LARGE.format(limit=f"{MAX_ITEM_ELEMENTS:,}")
        if depth - 1 > MAX_ITEM_DEPTH:
            return ITEM_TOO_DEEP.format(limit=MAX_ITEM_DEPTH)
        name = local(element)
        limit = rows.get(name)
        if limit is not None:
            counts[name] = counts.get(name, 0) + 1
            if counts[name] > limit:
                return ITEM_TOO_MANY_ROWS.format(limit=f"{limit:,}", name=name)
    return None


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot hold (NUL, most control characters, lone surrogates)."""
    return _NOT_XML.sub("", value)


def is_identifier(value: str) -> bool:
    return bool(_IDENTIFIER.match(value))


# --- XML in, HTML out ----------------------------------------------------------------------------------------------


# What a `replace` callback answers for an element: a text to put in its place, UNWRAP to keep only its content,
# or None to leave it (the callback may rename it in place).
UNWRAP = object()
Replacer = Callable[[Any], Any]


def _strip(el: Any) -> None:
    """Rename every element to its local name and drop namespaced attributes (xml:lang, xsi:...), in place."""
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        node.tag = local(node)
        for name in list(node.attrib):
            if name.startswith("{"):
                del node.attrib[name]
    etree.cleanup_namespaces(el)


def _replace(el: Any, text: str) -> None:
    """Put `text` where `el` was (keeping what followed it), and remove `el`."""
    parent = el.getparent()
    joined = text + (el.tail or "")
    previous = el.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(el)


def _unwrap(el: Any) -> None:
    """Replace `el` by its content."""
    moved = list(el)
    if not moved:
        _replace(el, el.text or "")
        return
    parent = el.getparent()
    previous = el.getprevious()
    lead = el.text or ""
    if previous is not None:
        previous.tail = (previous.tail or "") + lead
    else:
        parent.text = (parent.text or "") + lead
    index = parent.index(el)
    for offset, node in enumerate(moved):
        parent.insert(index + offset, node)
    moved[-1].tail = (moved[-1].tail or "") + (el.tail or "")
    parent.remove(el)


def _restore_carried(el: Any) -> None:
    for node in list(el.iter()):
        if not isinstance(node.tag, str) or node is el:
            continue
        classes = (node.get("class") or "").split()
        if INLINE_WRAPPER in classes and node.tag == "div":
            _unwrap(node)
            continue
        for name in CARRIED:
            if CARRIED_PREFIX + name in classes and node.tag == CARRIED[name]:
                node.tag = name
                del node.attrib["class"]
                break


def inner_html(el: Any | None, replace: Replacer | None = None) -> str:
    """The content of `el` as an HTML fragment: namespaces gone, QTI-only elements removed (feedback, templates),
    and each element `replace` returns a string for replaced by that text (escaped like any text)."""
    if el is None:
        return ""
    copy = deepcopy(el)
    copy.tail = None
    _strip(copy)
    # Document order: once an element is replaced, what was inside it is detached and skipped. A parent comes before
    # its children, so "detached" is known from the parent alone (walking up to the root from every element was
    # elements × depth).
    detached: set[Any] = set()
    for node in list(copy.iter()):
        if node is copy or not isinstance(node.tag, str):
            continue
        parent = node.getparent()
        if parent is None or parent in detached:
            detached.add(node)
            continue
        text = replace(node) if replace is not None else None
        if text is UNWRAP:
            _unwrap(node)
        elif isinstance(text, str):
            _replace(node, text)
            detached.add(node)
        elif node.tag in NOT_TEXT:
            _replace(node, "")
            detached.add(node)
    _drop_layout_whitespace(copy)
    _restore_carried(copy)
    parts = [html.escape(copy.text or "", quote=False)]
    for node in copy:
        parts.append(etree.tostring(node, method="html", encoding="unicode", with_tail=True))
    return "".join(parts).strip()


BLOCKS = frozenset(
    {
        "address", "blockquote", "caption", "col", "colgroup", "dd", "div", "dl", "dt", "figcaption", "figure",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip


def _drop_layout_whitespace(root: Any) -> None:
    """Remove what indentation left between blocks (whitespace-only text beside a block element) and the blocks
    left empty once an interaction was cut out of them, so the HTML is the content, not the file's layout."""
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or node is root:
            continue
        if node.tag in {"p", "div"} and len(node) == 0 and not (node.text or "").strip():
            _replace(node, "")
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag != "pre" and node.text and "\n" in node.text:
            node.text = _LINE_BREAK.sub(" ", node.text)
        if node is not root and node.tail and "\n" in node.tail and node.getparent().tag != "pre":
            node.tail = _LINE_BREAK.sub(" ", node.tail)
        kids = list(node)
        if kids and kids[0].tag in BLOCKS and not (node.text or "").strip():
            node.text = None
        for index, kid in enumerate(kids):
            following = kids[index + 1] if index + 1 < len(kids) else None
            if (kid.tail is not None and not kid.tail.strip()) and (
                kid.tag in BLOCKS or (following is not None and following.tag in BLOCKS)
            ):
                kid.tail = None


# --- HTML in, XML out ----------------------------------------------------------------------------------------------


def _fragment(source: str) -> Any:
    return lxml_html.fragment_fromstring(source or "", create_parent="div")


# Builds the QTI element for a placeholder element the writer put in the HTML (a gap), or None.
Builder = Callable[[Any], Any]


def _rebuild(node: Any, ns: str, custom: Builder | None) -> Any | None:
    """A QTI element for an HTML node (None when it has no QTI counterpart and only its content should stay)."""
    if custom is not None:
        built = custom(node)
        if built is not None:
            return built
    tag = node.tag if isinstance(node.tag, str) else ""
    carried = CARRIED.get(tag)
    if carried:
        out = etree.Element(f"{{{ns}}}{carried}", {"class": CARRIED_PREFIX + tag})
    elif tag in QTI_HTML and tag != "h1":
        out = etree.Element(f"{{{ns}}}{tag}")
        for name in ATTRIBUTES.get(tag, ()):
            value = node.get(name)
            if value is not None:
                out.set(name, value)
        if tag == "img":
            out.set("alt", node.get("alt") or "")
            out.set("src", node.get("src") or "")
    else:
        return None
    _copy_content(node, out, ns, custom)
    return out


def _copy_content(source: Any, target: Any, ns: str, custom: Builder | None = None) -> None:
    _append_text(target, source.text)
    for node in source:
        if not isinstance(node.tag, str):
            _append_text(target, node.tail)
            continue
        if node.tag in DROPPED:
            _append_text(target, node.tail)
            continue
        built = _rebuild(node, ns, custom)
        if built is None:
            # Unknown element: keep its words, lose the tag.
            holder = etree.Element("holder")
            _copy_content(node, holder, ns, custom)
            _append_text(target, holder.text)
            for moved in list(holder):
                target.append(moved)
        else:
            target.append(built)
        _append_text(target, node.tail)


def _append_text(target: Any, text: str | None) -> None:
    if not text:
        return
    if len(target):
        last = target[-1]
        last.tail = (last.tail or "") + text
    else:
        target.text = (target.text or "") + text


def html_into(target: Any, source: str, ns: str, *, blocks: bool, custom: Builder | None = None) -> None:
    """Append the HTML fragment `source` to the QTI element `target`. With `blocks`, top-level inline content is
    wrapped in a marked `div` (item bodies, rubric blocks and the like hold only blocks). `custom` builds the QTI
    element of placeholders the caller put in the HTML."""
    holder = etree.Element(f"{{{ns}}}div")
    _copy_content(_fragment(source), holder, ns, custom)
    if not blocks:
        _append_text(target, holder.text)
        for node in list(holder):
            target.append(node)
        return
    run: list[Any] = []
    pending_text = holder.text or ""

    def flush() -> None:
        nonlocal pending_text
        if not run and not pending_text.strip():
            pending_text = ""
            return
        wrapper = etree.SubElement(target, f"{{{ns}}}div", {"class": INLINE_WRAPPER})
        wrapper.text = pending_text
        for moved in run:
            wrapper.append(moved)
        run.clear()
        pending_text = ""

    for node in list(holder):
        if local(node) in INLINE:
            run.append(node)
            continue
        tail = node.tail
        node.tail = None
        flush()
        target.append(node)
        pending_text = tail or ""
    flush()


# --- decimals ------------------------------------------------------------------------------------------------------


def decimal(value: Any) -> Decimal | None:
    """A finite Decimal of sane size from text ("1.5", "1e2", " 3 "), or None."""
    text = str(value).strip()
    if len(text) > 60:
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    # 1e999999 is finite, and would print as a million digits: no score or tolerance needs such exponents.
    if not number.is_finite() or (number != 0 and not -30 <= number.adjusted() <= 30):
        return None
    return number


def dec_str(value: Decimal, places: int = 7) -> str:
    """A decimal as Syllabus stores it: plain notation, at most `places` decimals, no trailing zeros ("0.5")."""
    with localcontext() as context:
        context.prec = 80  # room for any quantum asked of any finite value written here
        rounded = value.quantize(Decimal(1).scaleb(-places)) if value.adjusted() < 40 else value
        text = format(rounded.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


# --- Moodle cloze markup -------------------------------------------------------------------------------------------

_CLOZE_SPECIAL = re.compile(r"([\\}#~/\"])")


def cloze_escape(text: str) -> str:
    """An answer or feedback text made safe inside `{1:SHORTANSWER:...}` (Moodle's backslash escapes)."""
    return _CLOZE_SPECIAL.sub(r"\\\1", _SPACE.sub(" ", text).strip())


def cloze_answer(text: str, fraction: Decimal, feedback: str = "") -> str:
    """One answer of a cloze part: `=text` when fully right, `%50%text` for partial credit, `text` when wrong."""
    if fraction == 1:
        head = "="
    elif fraction == 0:
        head = ""
    else:
        head = f"%{dec_str(fraction * 100, 5)}%"
    tail = f"#{cloze_escape(feedback)}" if feedback.strip() else ""
    return f"{head}{text}{tail}"


def cloze_part(kind: str, answers: list[str], weight: int = 1) -> str:
    """`{weight:KIND:answer~answer}` (the weight always written); `answers` are built with `cloze_answer`."""
    return "{" + f"{weight}:{kind}:" + "~".join(answers) + "}"


def whole_weights(weights: list[Decimal]) -> list[int]:
    """Cloze weights are whole numbers: scale decimal weights (0.5, 1.5 → 1, 3) when that is exact, else round."""
    for factor in (1, 10, 100, 1000):
        scaled = [w * factor for w in weights]
        if all(s == s.to_integral_value() for s in scaled):
            return [max(1, int(s)) for s in scaled]
    return [max(1, int(w.to_integral_value())) for w in weights]


# --- what a document is --------------------------------------------------------------------------------------------

VERSIONS = {QTI21: "2.1", QTI22: "2.2"}


def kind_of(root: Any) -> str:
    """What an XML root is: "item" (QTI 2.1/2.2), "test" (a QTI 2.1/2.2 assessmentTest), "qti3", "qti20", "qti12"
    (questestinterop), "manifest", or "other"."""
    name, ns = local(root), namespace(root)
    if ns == QTI30 or name.startswith("qti-"):
        return "qti3"
    if name == "questestinterop":
        return "qti12"
    if ns == QTI20:
        return "qti20"
    if ns in VERSIONS and name == "assessmentItem":
        return "item"
    if ns in VERSIONS and name == "assessmentTest":
        return "test"
    if name == "manifest":
        return "manifest"
    return "other"


def found(root: Any) -> str:
    """The root as a message shows it: <assessmentItem> in namespace http://..."""
    ns = namespace(root)
    return f"<{local(root)[:60]}>" + (f" in namespace {ns[:120]}" if ns else " without a namespace")
