"""Management (admin) API: datastore versions and their configuration
parameters. Every action requires an administrator."""
