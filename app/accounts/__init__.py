"""Users, roles, sessions, tokens and the permission policy (route level)."""
