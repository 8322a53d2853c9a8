"""The `essay` question type (see question_types/README.md)."""
