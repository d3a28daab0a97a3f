"""Alembic migrations: they own the schema; start-up runs them (api.db.upgrade)."""
