"""MariaDB instances of one host initialised from a shared template.

Two real agents share ``engine_template_dir``: the first builds the
template with mariadb-install-db, the second copies it. Each is its own
database afterwards (its own os_admin password, its own data), and the
template stays a pristine initialisation.
"""

import pymysql
import pytest

from tests.functional.guestagent import utils

from tests.functional.guestagent.test_mariadb_guest import APP_DB
from tests.functional.guestagent.test_mariadb_guest import APP_USER
from tests.functional.guestagent.test_mariadb_guest import pytestmark  # noqa


def sharing_templates(world_tmp_dir, conductor, template_dir):
    guest = utils.GuestInstance(world_tmp_dir, 'mariadb', conductor)
    info = guest.etc / 'guest_info.conf'
    info.write_text(info.read_text().replace(
        '[DEFAULT]\n', '[DEFAULT]\nengine_template_dir = %s\n'
        % template_dir, 1))
    guest.create_records()
    return guest


def app_tables(guest):
    with pymysql.connect(host=guest.address, port=3306, user='app',
                         password=APP_USER['_password'], database='appdb',
                         connect_timeout=5, autocommit=True) as connection:
        with connection.cursor() as cursor:
            cursor.execute('SHOW TABLES')
            return {row[0] for row in cursor.fetchall()}


def agent_log(guest):
    return (guest.logs / 'guestagent.log').read_text(errors='replace')


def test_the_second_instance_copies_the_first_ones_template(
        world_tmp_dir, conductor):
    template_dir = world_tmp_dir / 'templates'
    first = sharing_templates(world_tmp_dir, conductor, template_dir)
    second = sharing_templates(world_tmp_dir, conductor, template_dir)
    try:
        for guest in (first, second):
            guest.prepare(utils.render_config('mariadb'), databases=[APP_DB],
                          users=[APP_USER])
            guest.start_agent()
            guest.wait_status('healthy')

        templates = sorted(p.name for p in template_dir.iterdir()
                           if p.is_dir())
        assert len(templates) == 1 and templates[0].startswith('mariadb-')
        assert 'Built the data directory template' in agent_log(first)
        assert 'Built the data directory template' not in agent_log(second)
        assert 'copied from the template' in agent_log(second)

        # Each is a database of its own.
        passwords = {(g.run / 'os_admin.password').read_text()
                     for g in (first, second)}
        assert len(passwords) == 2
        with pymysql.connect(host=first.address, port=3306, user='app',
                             password=APP_USER['_password'],
                             database='appdb', autocommit=True) as connection:
            with connection.cursor() as cursor:
                cursor.execute('CREATE TABLE only_on_first (id INT)')
        assert app_tables(first) == {'only_on_first'}
        assert app_tables(second) == set()
        # The template is the bare initialisation: no instance's database
        # or data went into it.
        template = template_dir / templates[0]
        assert (template / 'mysql').is_dir()
        assert not (template / 'appdb').exists()
        # Nobody logs in as root from the network on the copy either.
        with pytest.raises(pymysql.err.OperationalError):
            pymysql.connect(host=second.address, port=3306, user='root',
                            connect_timeout=5)
    finally:
        first.cleanup()
        second.cleanup()
