"""Missions and the reference data around them: locations, partners, focal points,
projects and developments; and user administration, since mission staff belong to one."""
