"""Helpers shared by more than one test directory: brokers, certificates, virtual wearables,
synthetic camera frames, Kivy touches, plan samples and the worlds the link, clinic and visit
tests build. Imported as ``tests.helpers.<module>`` (pyproject's ``pythonpath = ["."]``), so no
test adds a sibling directory to the import path; a helper used by one directory stays beside it."""
