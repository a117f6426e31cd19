"""Alembic environment: runs on the connection the store hands over, never from a file.

There is no alembic.ini and no offline (SQL script) mode: the store migrates itself when
it opens a database, inside the transaction it opened.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from gridops.market_maker.store.schema import Base


def run() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline migrations are not supported: open the store instead")
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through gridops.market_maker.store.migrate")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
