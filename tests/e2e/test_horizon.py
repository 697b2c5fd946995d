"""Horizon's Database panel in a real browser against this control plane.

``trove-local up --keystone --swift --horizon`` runs Keystone, Swift (in
the catalog as object-store, so the Backups panels show), trove-api,
the local provider's Nova and Cinder routes and Horizon with
trove-dashboard; headless Chromium (Selenium) logs in as alice, a member of
project alpha, and uses the panels as a person would. Every step leaves a
screenshot in a directory printed at the start (kept after the run).

The browser tier is slow: one system and one browser session for the
module, tests run in order, and the two instances build in parallel with
the other steps. Skipped, with the reason, only when Chromium is not
installed.
"""

import json
import os
import re
import uuid

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.e2e import sql_logins
from tests.e2e import system as e2e
from tests.helpers import browser as browser_helper
from tests.helpers import ports
from tests.helpers.processes import wait_until
from trove.common import daemon
from trove.localenv import compute_routes_runner
from trove.localenv import dashboard as dashboard_module

pytestmark = [pytest.mark.e2e, pytest.mark.browser,
              pytest.mark.xdist_group('browser')]

DATASTORE = 'mariadb'
# Launch Instance submits, the taskmanager starts a guest and the engine;
# a local MariaDB is ACTIVE in well under a minute.
ACTIVE_TIMEOUT = 180
UP_TIMEOUT = 600     # a cold machine installs Horizon (~70 s) first


@pytest.fixture(scope='module')
def browser(request):
    shots_dir = browser_helper.artifacts_dir()
    try:
        session = browser_helper.start(shots_dir)
    except browser_helper.BrowserMissing as missing:
        os.rmdir(shots_dir)
        pytest.skip(str(missing))
    capture = request.config.pluginmanager.get_plugin('capturemanager')
    with capture.global_and_fixture_disabled():
        print('\nbrowser screenshots: %s' % shots_dir)
    yield session
    session.quit()


@pytest.fixture(scope='module')
def horizon_system(browser):
    pids = []
    with e2e.temporary_system(
            'trove-e2e-horizon-', e2e.KeystoneTroveSystem,
            keystone_port=ports.free_port(),
            flags=['--swift', '--horizon']) as system:
        system.output = system.up(timeout=UP_TIMEOUT)
        pids = [dashboard_module.Dashboard(system.state_dir).running_pid(),
                compute_routes_runner.running_pid(system.state_dir)]
        assert all(pids), pids
        yield system
    # trove-local down stopped the dashboard and the routes by their pids.
    assert not any(daemon.pid_alive(pid) for pid in pids)


@pytest.fixture(scope='module')
def identity(horizon_system):
    return horizon_system.identity()


@pytest.fixture(scope='module')
def alice(identity):
    """python-troveclient as alice; the endpoint comes from the catalog."""
    return e2e.keystone_client(identity, identity.users['alice'])


@pytest.fixture(scope='module')
def version(alice):
    return alice.datastores.get(DATASTORE).default_version  # an id


@pytest.fixture(scope='module')
def version_name(alice, version):
    return alice.datastore_versions.get(DATASTORE, version).name


@pytest.fixture(scope='module')
def api_instance(alice):
    """An instance made through the API (not yet waited for)."""
    return alice.instances.create('api-made-' + uuid.uuid4().hex[:6],
                                  flavor_id='1', volume={'size': 1},
                                  datastore=DATASTORE)


class Dashboard:
    """The logged-in browser on one Horizon."""

    def __init__(self, browser, url):
        self.browser = browser
        self.driver = browser.driver
        self.url = url.rstrip('/')

    def open(self, path):
        self.driver.get(self.url + path)

    def login(self, user, password):
        self.open('/auth/login/')
        self.driver.find_element(By.ID, 'id_username').send_keys(user)
        self.driver.find_element(By.ID, 'id_password').send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR,
                                 'button[type=submit]').click()
        self.browser.wait_for(
            lambda: '/auth/' not in self.driver.current_url, 60,
            'the login did not leave the login page')

    def rows(self, table):
        """{object id: {column title: cell text}} of a data table (read
        again when the panel's polling replaced a row meanwhile)."""
        for _attempt in range(10):
            try:
                return self._read_rows(table)
            except StaleElementReferenceException:
                continue
        return self._read_rows(table)

    def _read_rows(self, table):
        titles = [th.text.strip() for th in self.driver.find_elements(
            By.CSS_SELECTOR, 'table#%s thead tr:last-child th' % table)]
        rows = {}
        for row in self.driver.find_elements(
                By.CSS_SELECTOR, 'table#%s tbody tr[data-object-id]' % table):
            cells = [td.text.strip()
                     for td in row.find_elements(By.TAG_NAME, 'td')]
            rows[row.get_attribute('data-object-id')] = dict(
                zip(titles, cells, strict=False))
        return rows

    def row_of(self, table, object_id, timeout=30):
        return self.browser.wait_for(
            lambda: self.rows(table).get(object_id), timeout,
            '%s is not listed in table %s' % (object_id, table))

    def success_messages(self):
        return [alert.text for alert in self.driver.find_elements(
            By.CSS_SELECTOR, '.messages .alert-success')]


@pytest.fixture(scope='module')
def dashboard(browser, horizon_system, identity):
    match = re.search(r'Horizon: (http://127\.0\.0\.1:\d+/)\s+\(log in as '
                      r'(\S+), password (\S+),', horizon_system.output)
    assert match, horizon_system.output
    url, user, password = match.groups()
    alice = identity.users['alice']
    assert (user, password) == (alice.username, alice.password)
    board = Dashboard(browser, url)
    board.login(user, password)
    browser.screenshot('logged-in')
    return board


def _wait_status(client, instance_id, status='ACTIVE', system=None):
    return e2e.wait_for_instance(client, instance_id, (status,),
                                 timeout=ACTIVE_TIMEOUT, system=system)


def test_panel_lists_an_instance_made_through_the_api(
        dashboard, alice, api_instance, version_name, horizon_system):
    instance = _wait_status(alice, api_instance.id, system=horizon_system)
    flavor = alice.flavors.get('1')
    dashboard.open('/project/databases/')
    row = dashboard.row_of('databases', instance.id)
    dashboard.browser.screenshot('instance-list')
    assert row['Instance Name'] == instance.name
    assert row['Datastore'] == DATASTORE
    assert row['Datastore Version'] == version_name
    # The flavor name comes from the local provider's Nova routes.
    assert row['Size'] == '%s | %sMB RAM' % (flavor.name, flavor.ram)
    assert row['Volume Size'] == '1GB'
    assert row['Status'] == 'Active'


def test_launch_instance_reaches_active_and_accepts_a_sql_login(
        dashboard, alice, version_name, horizon_system):
    name = 'panel-made-' + uuid.uuid4().hex[:6]
    user, password, database = 'paneluser', 'Panel-pass-' + \
        uuid.uuid4().hex[:8], 'paneldb'
    driver = dashboard.driver
    dashboard.open('/project/databases/')
    dashboard.browser.click(driver.find_element(
        By.ID, 'databases__action_launch'))
    form = dashboard.browser.wait_for(
        lambda: [f for f in driver.find_elements(By.ID, 'id_name')
                 if f.is_displayed()], 30, 'the Launch form did not open')[0]
    # What the form offers comes from the catalog's compute and volume
    # services, i.e. the local provider.
    assert [o.text for o in Select(driver.find_element(
        By.ID, 'id_availability_zone')).options] == ['nova']
    assert 'local' in [o.text for o in Select(driver.find_element(
        By.ID, 'id_volume_type')).options]
    form.send_keys(name)
    size = driver.find_element(By.ID, 'id_volume')
    size.clear()
    size.send_keys('1')
    datastore = Select(driver.find_element(By.ID, 'id_datastore'))
    datastore.select_by_visible_text('%s - %s' % (DATASTORE, version_name))
    flavors = Select(driver.find_element(
        By.ID, 'id_' + datastore.first_selected_option.get_attribute(
            'value')))
    assert [o.text for o in flavors.options] == [
        f.name for f in alice.flavors.list()]
    flavors.select_by_visible_text(alice.flavors.get('1').name)
    dashboard.browser.screenshot('launch-details')
    dashboard.browser.click(driver.find_element(
        By.CSS_SELECTOR, 'a[href$="__adddatabasesaction"]'))
    driver.find_element(By.ID, 'id_databases').send_keys(database)
    driver.find_element(By.ID, 'id_user').send_keys(user)
    driver.find_element(By.ID, 'id_password').send_keys(password)
    dashboard.browser.screenshot('launch-initial-database')
    driver.find_element(By.CSS_SELECTOR,
                        '.modal-footer input[type=submit]').click()

    messages = dashboard.browser.wait_for(
        dashboard.success_messages, 60, 'no success message after Launch')
    dashboard.browser.screenshot('launched')
    assert any(name in message for message in messages), messages
    created = [i for i in alice.instances.list() if i.name == name]
    assert len(created) == 1
    instance_id = created[0].id
    # The row reaches Active through the panel's own polling (no reload).
    dashboard.browser.wait_for(
        lambda: dashboard.rows('databases').get(instance_id, {}).get(
            'Status') == 'Active', ACTIVE_TIMEOUT,
        'the new row did not reach Active')
    dashboard.browser.screenshot('launched-instance-active')
    # What the form asked for is what the instance got.
    shown = alice.instances.get(instance_id)
    assert shown.flavor['id'] == '1'
    assert shown.volume['size'] == 1
    assert (shown.datastore['type'], shown.datastore['version']) == (
        DATASTORE, version_name)
    address = shown.ip[0]
    rows = sql_logins.query(DATASTORE, address, user, password,
                            'SELECT DATABASE()', database=database)
    assert [tuple(row) for row in rows] == [(database,)]


def _listed_as_the_api_lists(dashboard, path, table, object_id,
                             api_listing):
    """Open a panel: it lists exactly what the API lists; the row of
    ``object_id``."""
    dashboard.open(path)
    row = dashboard.row_of(table, object_id)
    dashboard.browser.screenshot(table)
    assert set(dashboard.rows(table)) == {item.id for item in api_listing}
    return row


def test_backups_panel_lists_what_the_api_holds(
        dashboard, alice, api_instance, horizon_system):
    _wait_status(alice, api_instance.id, system=horizon_system)
    backup = alice.backups.create('panel-backup', api_instance.id)
    status = wait_until(
        lambda: alice.backups.get(backup.id).status in ('COMPLETED',
                                                       'FAILED') and
        alice.backups.get(backup.id).status, timeout=120,
        message='the backup did not finish')
    assert status == 'COMPLETED'
    row = _listed_as_the_api_lists(dashboard, '/project/database_backups/',
                                   'backups', backup.id, alice.backups.list())
    assert row['Name'] == 'panel-backup'
    assert row['Database'] == api_instance.name
    assert row['Datastore'] == DATASTORE
    assert row['Status'] == 'Completed'


def test_configuration_groups_panel_lists_what_the_api_holds(
        dashboard, alice, version):
    group = alice.configurations.create(
        'panel-config', json.dumps({'max_connections': 77}),
        description='made through the API', datastore=DATASTORE,
        datastore_version=version)
    row = _listed_as_the_api_lists(
        dashboard, '/project/database_configurations/', 'configurations',
        group.id, alice.configurations.list())
    assert row['Configuration Group Name'] == 'panel-config'
    assert row['Description'] == 'made through the API'
    assert row['Datastore'] == DATASTORE
