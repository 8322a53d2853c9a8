"""The `numerical` question type (see question_types/README.md)."""
