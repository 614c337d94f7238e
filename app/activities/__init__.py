"""Activities: the core record of what a mission did."""
