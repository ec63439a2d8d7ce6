"""The interchange files: study files (SPEC 4.1), response files (SPEC 4.2) and study archives. They parse and check; analysis.services writes."""
