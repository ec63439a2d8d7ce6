"""Forms of the facilitator's pages, one module per page family."""
