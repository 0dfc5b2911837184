"""The program store's revisions, oldest first (Alembic skips this file)."""
