"""The MySQL datastore guest (needs a real MySQL server on the host)."""
