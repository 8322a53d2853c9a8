"""The `multiple` question type (see question_types/README.md)."""
