"""Missions and the reference data around them: locations, partners, focal points,
projects and developments."""
