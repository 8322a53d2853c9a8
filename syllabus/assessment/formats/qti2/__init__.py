"""IMS QTI 2.1 / 2.2 import and QTI 2.1 export: format.py (the format), reading.py (an item → a question),
writing.py (a question → an item, and the package), manifest.py (content packages, shared with qti12) and
markup.py (HTML inside QTI XML, decimals, cloze markup — shared with qti12)."""
