"""Writes of the analysis app: what a study file, a response file or an archive puts in the database."""
