"""The PostgreSQL datastore guest."""
