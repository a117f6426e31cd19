"""Alembic migrations of the store's schema; run by gridops.market_maker.store.migrate."""
