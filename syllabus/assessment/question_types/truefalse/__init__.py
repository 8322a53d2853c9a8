"""The `truefalse` question type (see question_types/README.md)."""
