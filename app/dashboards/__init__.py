"""The figures behind mission dashboards and the cross-mission comparison."""
