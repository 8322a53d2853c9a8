"""Item statistics of a quiz: the formulas, in plain Python (no Django), so they are tested against numbers worked
out by hand (tests/assessment/statistics/test_formulas.py) and run fast on 10,000 attempts.

We follow Moodle's quiz statistics report ("Quiz statistics calculations", docs.moodle.org/dev, implemented in
moodle/moodle `question/classes/statistics/questions/calculator.php` for the items and
`mod/quiz/report/statistics/classes/calculator.php` for the test, shown by `mod/quiz/report/statistics/
statistics_table.php`):

Per item (a slot, or one question drawn at a random slot), with x the item's mark in each attempt, y = the
attempt's total marks minus x ("the rest of the test"), T the attempt's total and s the number of attempts:
- facility index F = 100 × mean(x) / max mark;
- standard deviation SD = 100 × sqrt(Σ(x − x̄)² / (s − 1)) / max mark (None when s < 2);
- random guess score: the question type's `random_guess_score` × 100 (None when the type has none);
- intended weight = 100 × max mark / the quiz's maximum;
- effective weight = 100 × sqrt(C(x, T)) / Σ_slots sqrt(C(x, T)), with C the sample covariance; a slot whose
  covariance with the total is negative has none (None), and the sum runs over the slots with C ≥ 0;
- discrimination index D = 100 × C(x, y) / sqrt(V(x) × V(y)) (the correlation of the item with the rest of the
  test; None when a variance is 0 or s < 2);
- discriminative efficiency = 100 × C(x, y) / C_max(x, y), where C_max is the covariance of x and y each sorted
  in ascending order (the largest covariance those marks allow; None when 0).
Per quiz, on the attempts' total marks T (shown as a percentage of the quiz's maximum):
- mean, median (the mean of the two middle values for an even count), SD = sqrt(Σ(T − T̄)² / (s − 1)) (s > 1);
- with m_k = Σ(T − T̄)^k / s: k2 = s·m2/(s−1), k3 = s²·m3/((s−1)(s−2)), skewness = k3 / k2^1.5 (s > 2, k2 ≠ 0),
  k4 = s²·((s+1)·m4 − 3(s−1)·m2²)/((s−1)(s−2)(s−3)), kurtosis = k4 / k2² (s > 3);
- coefficient of internal consistency (Cronbach's alpha) = 100 × p/(p−1) × (1 − Σ V(x_slot) / k2), p the number
  of graded slots (p > 1, s > 2, k2 ≠ 0); error ratio = 100 × sqrt(1 − alpha/100); standard error = error ratio ×
  SD / 100.

Where we differ from Moodle, on purpose:
- a question drawn at a random slot is correlated with the rest of the test, like a slot (Moodle correlates it
  with the whole total, its own mark included, which flatters it); the issue asks for the rest of the test;
- a value that is undefined (one attempt, zero variance, alpha above 100 so that the error ratio would be the root
  of a negative number) is None, never NaN or an exception;
- for a drawn question whose slots gave it different marks, facility is Σx / Σ max mark (Moodle flags
  "different weights" and divides by one of them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# Bands of the score distribution (percent of the maximum): [0, 10), [10, 20) ... [90, 100].
BANDS = 10


@dataclass(frozen=True)
class Answer:
    """One answer counted: its attempt, the quiz slot it filled, the question (and version) drawn, its mark."""

    attempt: int
    slot: int
    question: int
    version: int
    mark: float
    max_mark: float


@dataclass
class ItemFigures:
    """The figures of one item, percentages as floats (None: undefined)."""

    slot: int
    question: int
    version: int
    is_slot_total: bool = False
    count: int = 0
    facility: float | None = None
    sd: float | None = None
    random_guess: float | None = None
    intended_weight: float | None = None
    effective_weight: float | None = None
    discrimination: float | None = None
    discriminative_efficiency: float | None = None
    # For the effective weight (slots only): the sample covariance with the total, kept until every slot is known.
    covariance_with_total: float | None = field(default=None, repr=False)
    mark_variance: float | None = field(default=None, repr=False)


@dataclass
class QuizFigures:
    attempts: int = 0
    max_marks: float | None = None
    mean: float | None = None
    median: float | None = None
    sd: float | None = None
    skewness: float | None = None
    kurtosis: float | None = None
    alpha: float | None = None
    error_ratio: float | None = None
    standard_error: float | None = None
    distribution: list[int] = field(default_factory=lambda: [0] * BANDS)

    def as_dict(self) -> dict[str, object]:
        return {
            "attempts": self.attempts, "max_marks": self.max_marks, "mean": self.mean, "median": self.median,
            "sd": self.sd, "skewness": self.skewness, "kurtosis": self.kurtosis, "alpha": self.alpha,
            "error_ratio": self.error_ratio, "standard_error": self.standard_error,
            "distribution": list(self.distribution),
        }  # fmt: skip


# --- the basic moments --------------------------------------------------------------------------------------------


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def covariance(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The sample covariance Σ(x − x̄)(y − ȳ) / (n − 1); None below two values."""
    n = len(xs)
    if n < 2:
        return None
    mx = sum(xs) / n
    my = sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (n - 1)


def variance(xs: Sequence[float]) -> float | None:
    return covariance(xs, xs)


def _zero(value: float) -> bool:
    # Sums of binary fractions leave 1e-17 where the exact answer is 0 (five attempts all right): that is 0.
    return abs(value) < 1e-12


# --- one item ------------------------------------------------------------------------------------------------------


def facility(marks: Sequence[float], max_marks: Sequence[float]) -> float | None:
    """100 × Σ marks / Σ maximum marks (Moodle: the mean mark over the maximum)."""
    total = sum(max_marks)
    return 100 * sum(marks) / total if marks and total > 0 else None


def item_sd(marks: Sequence[float], max_mark: float) -> float | None:
    """The sample standard deviation of the item's marks as a percentage of its maximum."""
    var = variance(marks)
    if var is None or max_mark <= 0:
        return None
    return 100 * math.sqrt(max(var, 0.0)) / max_mark


def discrimination_index(marks: Sequence[float], rest: Sequence[float]) -> float | None:
    """100 × the correlation of the item's marks with the marks on the rest of the test."""
    cov = covariance(marks, rest)
    var_x = variance(marks)
    var_y = variance(rest)
    if cov is None or var_x is None or var_y is None or _zero(var_x * var_y):
        return None
    return 100 * cov / math.sqrt(var_x * var_y)


def discriminative_efficiency(marks: Sequence[float], rest: Sequence[float]) -> float | None:
    """100 × C(x, y) / C_max: the discrimination index as a share of the best these marks could reach (the
    covariance of both lists sorted)."""
    cov = covariance(marks, rest)
    best = covariance(sorted(marks), sorted(rest))
    if cov is None or best is None or _zero(best):
        return None
    return 100 * cov / best


def effective_weights(covariances: Sequence[float | None]) -> list[float | None]:
    """Each slot's share of the spread of the totals: 100 × sqrt(C_i) / Σ sqrt(C_j ≥ 0); None for a negative or
    unknown covariance, and for all when the sum is 0."""
    roots = [math.sqrt(c) if c is not None and c >= 0 else None for c in covariances]
    total = sum(r for r in roots if r is not None)
    if _zero(total):
        return [None] * len(covariances)
    return [None if r is None else 100 * r / total for r in roots]


# --- the whole quiz ------------------------------------------------------------------------------------------------


def shape(totals: Sequence[float]) -> tuple[float | None, float | None, float | None, float | None]:
    """(SD, skewness, kurtosis, k2) of the totals by Moodle's k-statistics; None where undefined."""
    s = len(totals)
    if s < 2:
        return None, None, None, None
    avg = sum(totals) / s
    power2 = sum((t - avg) ** 2 for t in totals)
    sd = math.sqrt(power2 / (s - 1))
    if s < 3:
        return sd, None, None, None
    power3 = sum((t - avg) ** 3 for t in totals)
    power4 = sum((t - avg) ** 4 for t in totals)
    m2, m3, m4 = power2 / s, power3 / s, power4 / s
    k2 = s * m2 / (s - 1)
    if _zero(k2):
        return sd, None, None, k2
    k3 = s * s * m3 / ((s - 1) * (s - 2))
    skewness = k3 / k2**1.5
    kurtosis = None
    if s > 3:
        k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
        kurtosis = k4 / (k2 * k2)
    return sd, skewness, kurtosis, k2


def cronbach_alpha(slots: int, sum_of_item_variances: float, k2: float | None) -> float | None:
    """The coefficient of internal consistency, in percent: 100 × p/(p−1) × (1 − Σ V(x) / k2)."""
    if slots < 2 or k2 is None or _zero(k2):
        return None
    return 100 * slots / (slots - 1) * (1 - sum_of_item_variances / k2)


def error_ratio(alpha: float | None) -> float | None:
    """100 × sqrt(1 − alpha / 100): the share of the spread that is noise."""
    if alpha is None or alpha > 100:
        return None
    return 100 * math.sqrt(1 - alpha / 100)


def standard_error(ratio: float | None, sd: float | None) -> float | None:
    return None if ratio is None or sd is None else ratio * sd / 100


def distribution(percents: Iterable[float], bands: int = BANDS) -> list[int]:
    """How many totals fall in each band of the percentage (100 % in the last band)."""
    counts = [0] * bands
    for value in percents:
        index = min(bands - 1, max(0, int(value * bands // 100)))
        counts[index] += 1
    return counts


# --- everything at once --------------------------------------------------------------------------------------------


def _item(
    slot: int, answers: Sequence[Answer], totals: Mapping[int, float], guesses: Mapping[int, float | None]
) -> ItemFigures:
    marks = [a.mark for a in answers]
    maxes = [a.max_mark for a in answers]
    rest = [totals[a.attempt] - a.mark for a in answers]
    overall = [totals[a.attempt] for a in answers]
    version = max(a.version for a in answers)
    mean_max = sum(maxes) / len(maxes)
    guess = guesses.get(version)
    return ItemFigures(
        slot=slot,
        question=min(a.question for a in answers),
        version=version,
        count=len(answers),
        facility=facility(marks, maxes),
        sd=item_sd(marks, mean_max),
        random_guess=None if guess is None else 100 * guess,
        discrimination=discrimination_index(marks, rest),
        discriminative_efficiency=discriminative_efficiency(marks, rest),
        covariance_with_total=covariance(marks, overall),
        mark_variance=variance(marks),
    )


def compute(
    answers: Iterable[Answer], *, guesses: Mapping[int, float | None] | None = None
) -> tuple[QuizFigures, list[ItemFigures]]:
    """The quiz's figures and one row per slot (plus, for a slot that drew several questions, a row per question
    drawn there, `is_slot_total` on the slot's own row). `guesses` maps a question version to its type's random
    guess score (0..1 or None). Answers with no maximum (descriptions) take no part."""
    guesses = guesses or {}
    totals: dict[int, float] = {}
    maxima: dict[int, float] = {}
    by_slot: dict[int, list[Answer]] = {}
    for answer in answers:
        totals[answer.attempt] = totals.get(answer.attempt, 0.0) + answer.mark
        maxima[answer.attempt] = maxima.get(answer.attempt, 0.0) + answer.max_mark
        if answer.max_mark > 0:
            by_slot.setdefault(answer.slot, []).append(answer)
    quiz = QuizFigures(attempts=len(totals))
    if not totals:
        return quiz, []
    # The quiz's maximum: the attempts' most common one (they differ only when random slots carry other marks).
    counts: dict[float, int] = {}
    for value in maxima.values():
        counts[value] = counts.get(value, 0) + 1
    max_total = max(counts, key=lambda v: (counts[v], v))
    quiz.max_marks = max_total

    rows: list[ItemFigures] = []
    slot_rows: list[ItemFigures] = []
    for slot in sorted(by_slot):
        slot_answers = by_slot[slot]
        row = _item(slot, slot_answers, totals, guesses)
        questions: dict[int, list[Answer]] = {}
        for answer in slot_answers:
            questions.setdefault(answer.question, []).append(answer)
        slot_rows.append(row)
        rows.append(row)
        if len(questions) > 1:
            row.is_slot_total = True
            subrows = [_item(slot, questions[q], totals, guesses) for q in sorted(questions)]
            known = [r.random_guess for r in subrows]
            row.random_guess = (
                None
                if any(g is None for g in known)
                else sum((r.random_guess or 0.0) * r.count for r in subrows) / row.count
            )
            for sub in subrows:
                drawn = questions[sub.question]
                sub.intended_weight = 100 * (sum(a.max_mark for a in drawn) / len(drawn)) / max_total
            rows.extend(subrows)
        row.intended_weight = 100 * (sum(a.max_mark for a in slot_answers) / len(slot_answers)) / max_total
    for row, weight in zip(slot_rows, effective_weights([r.covariance_with_total for r in slot_rows]), strict=True):
        row.effective_weight = weight

    values = list(totals.values())
    sd, skewness, kurtosis, k2 = shape(values)
    scale = 100 / max_total if max_total > 0 else None
    sum_of_variances = sum(r.mark_variance or 0.0 for r in slot_rows)
    alpha = cronbach_alpha(len(slot_rows), sum_of_variances, k2) if len(values) > 2 else None
    ratio = error_ratio(alpha)
    avg = mean(values)
    mid = median(values)
    if scale is not None:
        quiz.mean = None if avg is None else avg * scale
        quiz.median = None if mid is None else mid * scale
        quiz.sd = None if sd is None else sd * scale
        quiz.standard_error = standard_error(ratio, quiz.sd)
        quiz.distribution = distribution(100 * totals[a] / maxima[a] if maxima[a] > 0 else 0.0 for a in totals)
    quiz.skewness = skewness
    quiz.kurtosis = kurtosis
    quiz.alpha = alpha
    quiz.error_ratio = ratio
    return quiz, rows
