"""django.contrib.postgres fields: PostgreSQL only (required_db_vendor)."""
