"""A safe arithmetic evaluator for calculated questions: Moodle-style formulas with `{name}` wildcards.

A formula is parsed with `ast` and every node is checked against a short allowlist: numbers, wildcards, the
operators + - * / ** %, unary minus (and plus), parentheses, and the functions in `FUNCTIONS`. Nothing is ever
handed to `eval`/`exec`; names, attributes, subscripts, comparisons, keywords and strings are refused with a
message that says what is allowed. Sizes are capped (formula length, exponents, every intermediate magnitude) so a
hostile formula cannot exhaust the CPU or memory. Values are computed in float, like Moodle's PHP, and reported as
`Decimal` (the shortest decimal that round-trips the float) so callers compare and store exact decimal strings.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, DecimalException

FORMULA_REQUIRED = "Write a formula."
FORMULA_TOO_LONG = "Keep the formula under {limit} characters."
FORMULA_SYNTAX = "The formula is not valid arithmetic: check its brackets and operators."
FORMULA_NOT_ALLOWED = (
    "Only numbers, {{wildcards}}, + - * / ** %, brackets and the functions {functions} are allowed (found {what})."
)
FORMULA_UNKNOWN_FUNCTION = "Unknown function {name}(): use one of {functions}."
FORMULA_ARITY = "{name}() takes {arity}."
FORMULA_BAD_WILDCARD = "Wildcards are written {name}: a letter, then letters, digits or _ (at most 30)."
FORMULA_UNDEFINED = "The wildcard {{{name}}} has no value."
FORMULA_DIVISION_BY_ZERO = "The formula divides by zero."
FORMULA_DOMAIN = "{name}() is not defined for that value."
FORMULA_EXPONENT = "Exponents are limited to ±{limit}."
FORMULA_TOO_LARGE = "The result is too large (beyond ±{limit})."
FORMULA_TOO_COMPLEX = "The formula is too complex."
FORMULA_NOT_A_NUMBER = "The formula does not give a number."

MAX_FORMULA_CHARS = 500
MAX_EXPONENT = 1000
MAX_MAGNITUDE = 1e100
MAX_NODES = 400
MAX_ARGS = 50
MAX_ROUND_DIGITS = 150  # 101 digits before the point (MAX_MAGNITUDE), 15 after (round's places), with room to spare

# `{name}` in formulas and question texts. `{=...}` (a formula shown in the text) is matched separately.
WILDCARD = re.compile(r"\{([A-Za-z][A-Za-z0-9_]{0,29})\}")
# Placeholders the wildcards become before `ast.parse`: they cannot be typed, since `_` is refused outside braces.
_PLACEHOLDER = "_w{}"


class FormulaError(Exception):
    """A formula that cannot be parsed or computed; `message` is for the author (or the review page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _round(value: float, places: float = 0) -> float:
    # PHP's round (what Moodle formulas use) rounds half away from zero; Python's round rounds half to even.
    if not float(places).is_integer() or abs(places) > 15:
        raise FormulaError(FORMULA_DOMAIN.format(name="round"))
    exponent = Decimal(1).scaleb(-int(places))
    # Enough digits for any value _checked lets through (|v| <= 1e100) at 15 places: with the default context (28
    # digits) round(1e30, 2) raised InvalidOperation out of `evaluate`, a 500 wherever a formula is shown or graded.
    context = Context(prec=MAX_ROUND_DIGITS)
    return float(Decimal(repr(value)).quantize(exponent, rounding=ROUND_HALF_UP, context=context))


def _log(value: float, base: float = math.e) -> float:
    return math.log(value, base)


def _pow(base: float, exponent: float) -> float:
    if abs(exponent) > MAX_EXPONENT:
        raise FormulaError(FORMULA_EXPONENT.format(limit=MAX_EXPONENT))
    # math.pow raises ValueError where ** would return a complex number ((-8) ** (1/3)).
    return math.pow(base, exponent)


def _floor(value: float) -> float:
    return float(math.floor(value))


def _ceil(value: float) -> float:
    return float(math.ceil(value))


def _pi() -> float:
    return math.pi


def _min(*values: float) -> float:
    # Python's min(5.0) iterates its one argument (TypeError out of `evaluate`): Moodle's min(5) is 5.
    return min(values)


def _max(*values: float) -> float:
    return max(values)


# name: (function, smallest and largest number of arguments, the arity as the author reads it)
FUNCTIONS: dict[str, tuple[Callable[..., float], int, int, str]] = {
    "abs": (abs, 1, 1, "one number"),
    "sqrt": (math.sqrt, 1, 1, "one number"),
    "sin": (math.sin, 1, 1, "one number"),
    "cos": (math.cos, 1, 1, "one number"),
    "tan": (math.tan, 1, 1, "one number"),
    "asin": (math.asin, 1, 1, "one number"),
    "acos": (math.acos, 1, 1, "one number"),
    "atan": (math.atan, 1, 1, "one number"),
    "exp": (math.exp, 1, 1, "one number"),
    "log": (_log, 1, 2, "a number and an optional base"),
    "log10": (math.log10, 1, 1, "one number"),
    "pow": (_pow, 2, 2, "two numbers"),
    "min": (_min, 1, MAX_ARGS, "one or more numbers"),
    "max": (_max, 1, MAX_ARGS, "one or more numbers"),
    "round": (_round, 1, 2, "a number and an optional number of decimals"),
    "floor": (_floor, 1, 1, "one number"),
    "ceil": (_ceil, 1, 1, "one number"),
    "pi": (_pi, 0, 0, "no arguments: pi()"),
}
_FUNCTION_LIST = ", ".join(f"{name}()" for name in FUNCTIONS)


def _not_allowed(what: str) -> FormulaError:
    return FormulaError(FORMULA_NOT_ALLOWED.format(functions=_FUNCTION_LIST, what=what))


def _checked(value: float) -> float:
    """Every intermediate result passes here: no infinities, no NaN, nothing beyond MAX_MAGNITUDE."""
    if math.isnan(value):
        raise FormulaError(FORMULA_NOT_A_NUMBER)
    if math.isinf(value) or abs(value) > MAX_MAGNITUDE:
        raise FormulaError(FORMULA_TOO_LARGE.format(limit=f"{MAX_MAGNITUDE:g}"))
    return value


_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.Mod: "%",
}


def _check_node(node: ast.AST, placeholders: Mapping[str, str]) -> None:
    """Refuse every node outside the allowlist (the walk is iterative: a deep formula cannot blow the stack)."""
    count = 0
    for child in ast.walk(node):
        count += 1
        if count > MAX_NODES:
            raise FormulaError(FORMULA_TOO_COMPLEX)
        # Operators and contexts are judged with the node that holds them (BFS visits that node first).
        if isinstance(child, ast.Expression | ast.expr_context | ast.operator | ast.unaryop):
            continue
        if isinstance(child, ast.Constant):
            if isinstance(child.value, bool) or not isinstance(child.value, int | float):
                raise _not_allowed(repr(child.value)[:30])
            continue
        if isinstance(child, ast.BinOp):
            if type(child.op) not in _OPERATORS:
                raise _not_allowed(type(child.op).__name__)
            continue
        if isinstance(child, ast.UnaryOp):
            if not isinstance(child.op, ast.USub | ast.UAdd):
                raise _not_allowed(type(child.op).__name__)
            continue
        if isinstance(child, ast.Call):
            if not isinstance(child.func, ast.Name) or child.keywords:
                raise _not_allowed("a call")
            name = child.func.id
            if name in placeholders:
                raise _not_allowed("a wildcard used as a function")
            if name not in FUNCTIONS:
                raise FormulaError(FORMULA_UNKNOWN_FUNCTION.format(name=name[:30], functions=_FUNCTION_LIST))
            _, least, most, arity = FUNCTIONS[name]
            if not least <= len(child.args) <= most or any(isinstance(a, ast.Starred) for a in child.args):
                raise FormulaError(FORMULA_ARITY.format(name=name, arity=arity))
            continue
        if isinstance(child, ast.Name):
            # Function names are checked with their call; a bare name is only allowed as a wildcard placeholder.
            continue
        raise _not_allowed(type(child).__name__)
    # Names that are not called must be placeholders.
    called = {id(c.func) for c in ast.walk(node) if isinstance(c, ast.Call)}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and id(child) not in called and child.id not in placeholders:
            raise _not_allowed(f"the name {child.id[:30]}")


@dataclass(frozen=True)
class Formula:
    """A checked formula; `names` are its wildcards (without braces)."""

    source: str
    names: frozenset[str]
    _tree: ast.Expression
    _placeholders: Mapping[str, str]  # placeholder -> wildcard name

    def evaluate(self, values: Mapping[str, Decimal | float | int | str]) -> Decimal:
        """The value with these wildcard values, as a Decimal; FormulaError when it cannot be computed."""
        floats: dict[str, float] = {}
        for name in self.names:
            if name not in values:
                raise FormulaError(FORMULA_UNDEFINED.format(name=name))
            try:
                floats[name] = _checked(float(values[name]))
            except (TypeError, ValueError, OverflowError):
                raise FormulaError(FORMULA_UNDEFINED.format(name=name)) from None
        try:
            result = self._eval(self._tree.body, floats)
        except FormulaError:
            raise
        except ZeroDivisionError:
            raise FormulaError(FORMULA_DIVISION_BY_ZERO) from None
        except OverflowError:
            raise FormulaError(FORMULA_TOO_LARGE.format(limit=f"{MAX_MAGNITUDE:g}")) from None
        except RecursionError:
            raise FormulaError(FORMULA_TOO_COMPLEX) from None
        except (ArithmeticError, TypeError, ValueError):
            # Belt and braces: whatever a function still lets escape (a Decimal signal, a wrong argument) is a
            # formula that cannot be computed, never a crash of the page showing or grading it.
            raise FormulaError(FORMULA_NOT_A_NUMBER) from None
        return to_decimal(result)

    def _eval(self, node: ast.expr, values: Mapping[str, float]) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return _checked(float(node.value))
        if isinstance(node, ast.Name):
            return values[self._placeholders[node.id]]
        if isinstance(node, ast.UnaryOp):
            operand = self._eval(node.operand, values)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, values), self._eval(node.right, values)
            op = node.op
            if isinstance(op, ast.Add):
                return _checked(left + right)
            if isinstance(op, ast.Sub):
                return _checked(left - right)
            if isinstance(op, ast.Mult):
                return _checked(left * right)
            if isinstance(op, ast.Div):
                return _checked(left / right)
            if isinstance(op, ast.Mod):
                # C/PHP fmod: the sign follows the dividend.
                if right == 0:
                    raise ZeroDivisionError
                return _checked(math.fmod(left, right))
            return _checked(_call("pow", _pow, [left, right]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            function = FUNCTIONS[node.func.id][0]
            return _checked(_call(node.func.id, function, [self._eval(a, values) for a in node.args]))
        raise _not_allowed(type(node).__name__)  # unreachable: `parse` checked every node


def _call(name: str, function: Callable[..., float], args: list[float]) -> float:
    try:
        return float(function(*args))
    except ValueError:
        raise FormulaError(FORMULA_DOMAIN.format(name=name)) from None


def parse(source: str) -> Formula:
    """Check a formula; FormulaError (with a message for the author) when it is not allowed."""
    if not isinstance(source, str) or not source.strip():
        raise FormulaError(FORMULA_REQUIRED)
    if len(source) > MAX_FORMULA_CHARS:
        raise FormulaError(FORMULA_TOO_LONG.format(limit=MAX_FORMULA_CHARS))
    placeholders: dict[str, str] = {}
    by_name: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in by_name:
            by_name[name] = _PLACEHOLDER.format(len(by_name))
            placeholders[by_name[name]] = name
        return f" {by_name[name]} "

    rest = WILDCARD.sub(placeholder, source)
    # What is left may hold no braces (a malformed wildcard) and no underscore (only placeholders have one).
    leftover = WILDCARD.sub("", source)
    if "{" in leftover or "}" in leftover:
        raise FormulaError(FORMULA_BAD_WILDCARD)
    if "_" in leftover:
        raise _not_allowed("_")
    try:
        tree = ast.parse(rest.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise FormulaError(FORMULA_SYNTAX) from None
    try:
        _check_node(tree, placeholders)
    except RecursionError:
        raise FormulaError(FORMULA_TOO_COMPLEX) from None
    return Formula(source=source, names=frozenset(placeholders.values()), _tree=tree, _placeholders=placeholders)


def evaluate(source: str, values: Mapping[str, Decimal | float | int | str]) -> Decimal:
    """Parse and compute in one call."""
    return parse(source).evaluate(values)


def wildcards(text: str) -> list[str]:
    """The `{name}` wildcards of a text or formula, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in WILDCARD.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


# `{=formula}` in a question text: Moodle shows the computed value there.
TEXT_FORMULA = re.compile(r"\{=((?:[^{}]|\{[A-Za-z][A-Za-z0-9_]{0,29}\})*)\}")


def text_formulas(text: str) -> list[str]:
    return [match.group(1) for match in TEXT_FORMULA.finditer(text or "")]


def substitute(text: str, values: Mapping[str, str], *, significant: int = 10) -> str:
    """`text` with its defined `{name}` wildcards replaced by their values and `{=formula}` by the result.

    Undefined `{name}`s stay as they are (a LaTeX `\\frac{a}{b}` is not a wildcard). A `{=formula}` that cannot
    be computed stays as written, so a broken expression shows rather than vanishes.
    """

    def formula(match: re.Match[str]) -> str:
        try:
            return format_significant(evaluate(match.group(1), values), significant)
        except FormulaError:
            return match.group(0)

    def wildcard(match: re.Match[str]) -> str:
        return str(values.get(match.group(1), match.group(0)))

    return WILDCARD.sub(wildcard, TEXT_FORMULA.sub(formula, text or ""))


def to_decimal(value: float) -> Decimal:
    """The shortest decimal that reads back as `value` (0.1 + 0.2 → 0.30000000000000004, not 53 digits)."""
    _checked(value)
    return Decimal(repr(value)) if value != 0 else Decimal(0)


def decimal_string(value: Decimal) -> str:
    """A Decimal as JSON data stores it: no exponent for everyday magnitudes, no trailing zeros."""
    if value.is_zero():
        return "0"
    try:
        value = value.normalize()
    except DecimalException:  # Overflow: an exponent past the context's (1e999999999) is shown as it is
        return str(value)
    if -30 <= value.adjusted() <= 30:
        return format(value, "f")
    return str(value)


def format_decimals(value: Decimal, decimals: int) -> str:
    """`value` with exactly `decimals` places, rounded half away from zero (the right answer shown to learners)."""
    try:
        # Digits enough for any computed value (at most 1e100) with its decimals, not the default context's 28.
        context = Context(prec=MAX_ROUND_DIGITS)
        rounded = value.quantize(Decimal(1).scaleb(-decimals, context=context), rounding=ROUND_HALF_UP, context=context)
    except DecimalException:  # InvalidOperation, and Overflow for an exponent past the context's (1e999999999)
        return decimal_string(value)
    if rounded.is_zero():
        rounded = abs(rounded)  # never "-0.00"
    return format(rounded, "f")


def format_significant(value: Decimal, significant: int) -> str:
    """`value` rounded to `significant` digits, without trailing zeros (a `{=formula}` in a text)."""
    if value.is_zero():
        return "0"
    exponent = value.adjusted() - significant + 1
    try:
        rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    except DecimalException:  # InvalidOperation, and Overflow for an exponent past the context's (1e999999999)
        return decimal_string(value)
    return decimal_string(rounded)
