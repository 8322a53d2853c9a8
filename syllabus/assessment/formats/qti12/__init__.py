"""IMS QTI 1.2 import, as Canvas and Blackboard export it: format.py (files and packages), reading.py (an item →
a question). Shares manifest and markup helpers with the qti2 format."""
