"""The MariaDB datastore guest."""
