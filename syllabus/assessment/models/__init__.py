"""Question banks and their versioned questions (banks.py); quiz attempts, answers and overrides (attempts.py);
assignment submissions, grades and extensions (assignments.py); quiz item statistics (statistics.py)."""

from syllabus.assessment.models.assignments import (
    AssignmentExtension,
    FileRole,
    GradingMethod,
    Submission,
    SubmissionFile,
    SubmissionGrade,
    SubmissionState,
)
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
from syllabus.assessment.models.statistics import AttemptChoice, QuestionStatistic, QuizStatistics

__all__ = [
    "AnswerState",
    "AssignmentExtension",
    "Attempt",
    "AttemptChoice",
    "AttemptState",
    "Difficulty",
    "FileRole",
    "GradingMethod",
    "Question",
    "QuestionAnswer",
    "QuestionBank",
    "QuestionCategory",
    "QuestionStatistic",
    "QuestionTag",
    "QuestionVersion",
    "QuizOverride",
    "QuizStatistics",
    "Submission",
    "SubmissionFile",
    "SubmissionGrade",
    "SubmissionState",
]
