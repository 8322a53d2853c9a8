"""Question banks and their versioned questions (banks.py); quiz attempts, answers and overrides (attempts.py)."""

from syllabus.assessment.models.attempts import (
    AnswerState,
    Attempt,
    AttemptState,
    QuestionAnswer,
    QuizOverride,
)
from syllabus.assessment.models.banks import (
    Difficulty,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionTag,
    QuestionVersion,
)

__all__ = [
    "AnswerState",
    "Attempt",
    "AttemptState",
    "Difficulty",
    "Question",
    "QuestionAnswer",
    "QuestionBank",
    "QuestionCategory",
    "QuestionTag",
    "QuestionVersion",
    "QuizOverride",
]
