"""Reads for studies, rounds and items, one module per reader. Each selector owns its joins."""
