"""The `matching` question type (see question_types/README.md)."""
