"""Plans, the exercise catalogue, sessions and the SQLite store."""
