"""The `single` question type (see question_types/README.md)."""
