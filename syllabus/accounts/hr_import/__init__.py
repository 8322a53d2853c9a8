"""HR sync: importing people from a CSV file (see README.md in this folder)."""
