"""Aiken import (single-answer multiple choice in plain text): see format.py."""
