"""The `ordering` question type (see question_types/README.md)."""
