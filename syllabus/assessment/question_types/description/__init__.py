"""The `description` question type (see question_types/README.md)."""
