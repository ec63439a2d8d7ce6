"""Forms of the surveys pages, split by role. They check and tidy; services write."""
