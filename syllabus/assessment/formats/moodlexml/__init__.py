"""Moodle XML import and export: format.py (the format), reader.py, writer.py; formats/moodle.py holds (Moodle's
conventions shared with the GIFT and Aiken formats)."""
