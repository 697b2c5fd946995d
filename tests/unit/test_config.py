"""Options: one module per group, upstream names and defaults."""

import importlib

import pytest
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

from trove.conf import opts


@pytest.fixture(scope='module')
def conf():
    """A private ConfigOpts with every option, parsed with no files."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf([], project='trove', default_config_files=[])
    return conf


@pytest.mark.parametrize('name,default', [
    ('bind_host', '0.0.0.0'),
    ('bind_port', 8779),
    ('api_paste_config', 'api-paste.ini'),
    ('trove_api_workers', None),
    ('max_header_line', 16384),
    ('public_endpoint', None),
    ('default_datastore', None),
    ('trove_volume_support', False),
    ('hostname_require_valid_ip', True),
    ('expected_filetype_suffixes', ['json']),
    ('host', '0.0.0.0'),
    ('taskmanager_queue', 'taskmanager'),
    ('conductor_queue', 'trove-conductor'),
    ('taskmanager_manager', 'trove.taskmanager.manager.Manager'),
    ('conductor_manager', 'trove.conductor.manager.Manager'),
    ('report_interval', 30),
    ('region', 'LOCAL_DEV'),
    ('agent_heartbeat_expiry', 90),
    ('agent_call_low_timeout', 15),
    ('agent_call_high_timeout', 180),
    ('agent_replication_snapshot_timeout', 1800),
    ('usage_timeout', 1800),
    ('restore_usage_timeout', 3600),
    ('usage_sleep_time', 5),
    ('update_status_on_fail', True),
    ('state_change_wait_time', 180),
    ('state_change_poll_time', 3),
    ('state_healthy_counts', 5),
    ('command_process_timeout', 30),
    ('volume_time_out', 60),
    ('server_delete_time_out', 60),
    ('reboot_time_out', 120),
    ('resize_time_out', 900),
    ('revert_time_out', 600),
    ('max_instances_per_tenant', 10),
    ('max_ram_per_tenant', -1),
    ('max_volumes_per_tenant', 40),
    ('max_backups_per_tenant', 50),
    ('max_accepted_volume_size', 10),
    ('quota_driver', 'trove.quota.quota.DbQuotaDriver'),
    ('http_get_rate', 200),
    ('http_post_rate', 200),
    ('http_put_rate', 200),
    ('http_delete_rate', 200),
    ('http_mgmt_post_rate', 200),
    ('instances_page_size', 20),
    ('clusters_page_size', 20),
    ('databases_page_size', 20),
    ('users_page_size', 20),
    ('backups_page_size', 20),
    ('configurations_page_size', 20),
    ('modules_page_size', 20),
    ('guest_config', '/etc/trove/trove-guestagent.conf'),
    ('guest_info', 'guest_info.conf'),
    ('injected_config_location', '/etc/trove/conf.d'),
    ('template_path', '/etc/trove/templates/'),
    ('nova_compute_url', None),
    ('cinder_url', None),
    ('neutron_url', None),
    ('glance_url', None),
    ('nova_compute_service_type', 'compute'),
    ('cinder_service_type', 'volumev3'),
    ('neutron_service_type', 'network'),
    ('glance_service_type', 'image'),
    ('nova_compute_endpoint_type', 'publicURL'),
    ('cinder_endpoint_type', 'publicURL'),
    ('nova_client_version', '2.57'),
    ('nova_keypair', None),
    ('use_nova_server_config_drive', False),
    ('block_device_mapping', 'vdb'),
    ('volume_rootdisk_support', False),
    ('volume_rootdisk_size', 10),
    ('cinder_volume_type', None),
    ('enable_volume_az', False),
    ('management_networks', []),
    ('management_security_groups', []),
    ('trove_security_groups_support', True),
    ('trove_security_group_name_prefix', 'trove_sg'),
    ('trove_security_group_rule_cidr', '0.0.0.0/0'),
    ('ip_regex', None),
    ('black_list_regex', None),
    ('injected_config_owner', 'ubuntu'),
    ('injected_config_group', 'root'),
    ('cloudinit_location', '/etc/trove/cloudinit'),
])
def test_default_equals_upstream(conf, name, default):
    assert getattr(conf, name) == default


@pytest.mark.parametrize('group,name,default', [
    ('mysql', 'tcp_ports', ['3306']),
    ('mysql', 'mount_point', '/var/lib/mysql'),
    ('mysql', 'ignore_users', ['os_admin', 'root']),
    ('mysql', 'ignore_dbs', ['mysql', 'information_schema',
                             'performance_schema', 'sys']),
    ('mysql', 'usage_timeout', 400),
    ('mysql', 'replication_strategy', 'MysqlGTIDReplication'),
    ('mariadb', 'tcp_ports', ['3306', '4444', '4567', '4568']),
    ('mariadb', 'backup_strategy', 'mariabackup'),
    ('mariadb', 'replication_strategy', 'MariaDBGTIDReplication'),
    ('postgresql', 'tcp_ports', ['5432']),
    ('postgresql', 'mount_point', '/var/lib/postgresql'),
    ('postgresql', 'ignore_users', ['os_admin', 'postgres']),
    ('postgresql', 'ignore_dbs', ['os_admin', 'postgres']),
    ('postgresql', 'backup_strategy', 'pg_basebackup'),
    ('postgresql', 'replication_strategy', 'PostgresqlReplicationStreaming'),
    ('upgrade_levels', 'taskmanager', 'latest'),
    ('upgrade_levels', 'guestagent', 'latest'),
    ('upgrade_levels', 'conductor', 'latest'),
    ('service_credentials', 'auth_url', 'https://0.0.0.0/identity/v3'),
    ('service_credentials', 'user_domain_name', 'Default'),
    ('service_credentials', 'project_domain_name', 'Default'),
    ('service_credentials', 'region_name', 'RegionOne'),
    ('network', 'public_network_id', None),
])
def test_group_default_equals_upstream(conf, group, name, default):
    assert getattr(getattr(conf, group), name) == default


@pytest.mark.parametrize('group', ['mysql', 'mariadb', 'postgresql'])
def test_datastore_groups_share_upstream_defaults(conf, group):
    values = getattr(conf, group)
    assert values.device_path == '/dev/vdb'
    assert values.volume_support is True
    assert values.root_on_create is False
    assert values.default_password_length == 36


def test_rpc_exchange_is_trove(conf):
    # oslo.messaging registers control_exchange when a transport is built.
    [exchange] = [opt for group, group_opts in messaging_opts.list_opts()
                  for opt in group_opts if opt.dest == 'control_exchange']
    assert exchange.default == 'trove'


def test_control_database_defaults_to_sqlite_in_the_state_path(conf):
    assert conf.database.connection == 'sqlite:////var/lib/trove/trove.sqlite'


def test_the_control_database_options_are_left_to_trove_db():
    # What trove.conf registers on CONF (all the guest agent loads) has
    # no [database]: it is oslo.db's, and the agent must not load oslo.db.
    conf = cfg.ConfigOpts()
    opts.register_all(conf, control_db=False)
    assert 'database' not in conf
    import trove.db  # noqa: F401
    from trove.conf import CONF
    assert 'database' in CONF


def _modules():
    return {name: importlib.import_module('trove.conf.' + name)
            for name in opts.GROUP_MODULES}


def test_each_group_module_registers_and_lists_its_options():
    for name, module in _modules().items():
        assert module.__doc__, name
        conf = cfg.ConfigOpts()
        module.register_opts(conf)
        for group, group_opts in module.list_opts().items():
            group_name = getattr(group, 'name', group)
            for opt in group_opts:
                target = conf if group_name == 'DEFAULT' else conf[group_name]
                assert opt.dest in target, (name, group_name, opt.dest)


def test_a_named_group_lives_in_one_module():
    owners = {}
    for name, module in _modules().items():
        for group in module.list_opts():
            group_name = getattr(group, 'name', group)
            if group_name == 'DEFAULT':
                continue
            assert group_name not in owners, (group_name, name)
            owners[group_name] = name
    assert {'mysql', 'mariadb', 'postgresql', 'upgrade_levels',
            'service_credentials', 'local'} <= set(owners)


def test_every_option_has_help_and_appears_once_in_list_opts():
    seen = set()
    for group, group_opts in opts.list_opts():
        group_name = getattr(group, 'name', group)
        for opt in group_opts:
            key = (group_name, opt.dest)
            assert key not in seen, key
            seen.add(key)
            assert opt.help, key
