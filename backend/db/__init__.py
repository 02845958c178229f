"""Database: engine, base model, models and Alembic migrations."""
