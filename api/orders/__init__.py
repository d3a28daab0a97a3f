"""Repair orders: create, update, cancel, list with filters and paging, bulk import of the CSV contract."""
