"""Database layer: typed ORM models, engines and Alembic helpers."""
