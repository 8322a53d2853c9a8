"""The `ddwtos` question type (see question_types/README.md)."""
