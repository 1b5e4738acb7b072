"""Pure domain code: events, commands and rules, with no Flask and no SQLAlchemy."""
