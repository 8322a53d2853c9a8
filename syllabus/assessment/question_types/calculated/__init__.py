"""The `calculated` question type (see question_types/README.md)."""
