"""The `cloze` question type (see question_types/README.md)."""
