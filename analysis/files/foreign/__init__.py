"""Export files of other survey tools (Microsoft Forms, REDCap), read into SPEC 4.2 rows through a mapping."""
