"""RPC endpoints of databases, users, user access and root (SQL engines).

Mixed into the managers of the MySQL family and PostgreSQL; each call is
handed to the engine's admin object (``engine.admin()``), which speaks
SQL as os_admin with identifiers quoted and values bound. The admin
objects share one interface (list_databases_all, create_databases,
delete_database, list_users_all, get_user, create_users, delete_user,
change_password, update_attributes, list_access, grant_access,
revoke_access, enable_root, disable_root, is_root_enabled, user_marker)
and an ``engine_errors()`` context manager that turns engine errors into
the trove.common.exception classes the API answers with (400 for a
statement the engine refuses, 422 for an engine that does not answer).

Users' mistakes (a user that exists already, a database that does not)
are raised as trove.common.exception classes too: that module is allowed
through RPC, so the API receives the same class and its HTTP code.

These operations do not take the manager's lock: they do not change the
engine's state, and waiting behind a long restart would only turn into a
call timeout. A stopped engine answers 422 through engine_errors().
"""

from oslo_log import log as logging

from trove.guestagent import models
from trove.guestagent import operating_system

LOG = logging.getLogger(__name__)


def paginate(items, key, limit=None, marker=None, include_marker=False):
    """One page of ``items`` (sorted by ``key``) after ``marker``.

    Returns ``[page, next_marker]``: next_marker is the key of the last
    item of the page when more items follow, else None. ``limit=None``
    means every item. Sorting and comparing happen here, in code point
    order, so the marker means the same whatever the engine's collation.
    """
    ordered = sorted(items, key=key)
    if marker is not None:
        ordered = [item for item in ordered
                   if key(item) > marker or
                   (include_marker and key(item) == marker)]
    if limit is None or len(ordered) <= limit:
        return [ordered, None]
    page = ordered[:limit]
    return [page, key(page[-1])]


def database_key(serialized):
    return serialized['_name']


class SqlAdminEndpoints:
    """Databases/users/root RPC methods; needs ``self.engine``."""

    # Each endpoint opens its own admin connection(s); engine_errors()
    # maps what the engine says to what the API can answer.
    def _run(self, operation, *args, **kwargs):
        admin = self.engine.admin()
        with admin.engine_errors():
            return operation(admin, *args, **kwargs)

    # Databases ---------------------------------------------------------
    def create_database(self, context, databases=None):
        wanted = models.databases_from(databases)
        LOG.info('Creating databases %s', [d.name for d in wanted])
        self._run(lambda admin: admin.create_databases(wanted))

    def list_databases(self, context, limit=None, marker=None,
                       include_marker=False):
        return self._run(lambda admin: paginate(
            admin.list_databases_all(), database_key, limit, marker,
            include_marker))

    def delete_database(self, context, database=None):
        target = models.Database.deserialize(database)
        LOG.info('Deleting database %s', target.name)
        self._run(lambda admin: admin.delete_database(target.name))

    # Users -------------------------------------------------------------
    def create_user(self, context, users=None):
        wanted = models.users_from(users)
        LOG.info('Creating users %s', [u.name for u in wanted])
        self._run(lambda admin: admin.create_users(wanted))

    def list_users(self, context, limit=None, marker=None,
                   include_marker=False):
        # The marker of a user is the engine's: name@host (MySQL family)
        # or the name alone (PostgreSQL, where the host means nothing).
        return self._run(lambda admin: paginate(
            admin.list_users_all(), admin.user_marker, limit, marker,
            include_marker))

    def get_user(self, context, username=None, hostname=None):
        return self._run(lambda admin: admin.get_user(username, hostname))

    def delete_user(self, context, user=None):
        target = models.User.deserialize(user)
        LOG.info('Deleting user %s@%s', target.name, target.host)
        self._run(lambda admin: admin.delete_user(target.name, target.host))

    def change_passwords(self, context, users=None):
        changes = models.users_from(users)
        LOG.info('Changing the passwords of %s',
                 ['%s@%s' % (u.name, u.host) for u in changes])

        def change(admin):
            for user in changes:
                admin.change_password(user.name, user.host, user.password)
        self._run(change)

    def update_attributes(self, context, username=None, hostname=None,
                          user_attrs=None):
        attrs = dict(user_attrs or {})
        LOG.info('Updating user %s@%s: %s', username, hostname,
                 sorted(attrs))
        self._run(lambda admin: admin.update_attributes(
            username, hostname, new_name=attrs.get('name'),
            new_host=attrs.get('host'), password=attrs.get('password')))

    # Access ------------------------------------------------------------
    def list_access(self, context, username=None, hostname=None):
        return self._run(lambda admin: admin.list_access(username, hostname))

    def grant_access(self, context, username=None, hostname=None,
                     databases=None):
        names = [d if isinstance(d, str)
                 else models.Database.deserialize(d).name
                 for d in databases or []]
        LOG.info('Granting %s@%s access to %s', username, hostname, names)
        self._run(lambda admin: admin.grant_access(username, hostname,
                                                   names))

    def revoke_access(self, context, username=None, hostname=None,
                      database=None):
        LOG.info('Revoking access of %s@%s to %s', username, hostname,
                 database)
        self._run(lambda admin: admin.revoke_access(username, hostname,
                                                    database))

    # Root --------------------------------------------------------------
    def _new_password(self):
        return operating_system.generate_password(
            self.engine.conf.default_password_length)

    def enable_root(self, context):
        return self.enable_root_with_password(context)

    def enable_root_with_password(self, context, root_password=None):
        password = root_password or self._new_password()
        LOG.info('Enabling the remote root user')
        return self._run(lambda admin: admin.enable_root(password))

    def disable_root(self, context):
        LOG.info('Disabling the remote root user')
        self._run(lambda admin: admin.disable_root(self._new_password()))

    def is_root_enabled(self, context):
        return self._run(lambda admin: admin.is_root_enabled())
