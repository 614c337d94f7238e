"""Getting activities in and out: spreadsheet import, exports and the background report."""
