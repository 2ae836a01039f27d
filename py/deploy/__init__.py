"""interview-db: deploy the interview RPC package to PostgreSQL or Supabase."""

__version__ = "0.2.0"
