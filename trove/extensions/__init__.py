"""API extensions: databases/users/root of an instance, and management."""
