"""The `gapselect` question type (see question_types/README.md)."""
