"""The `shortanswer` question type (see question_types/README.md)."""
