"""Galera member settings and the choice of the member that bootstraps
a cluster after a full stop."""

import types

from trove.guestagent.datastore import galera
from trove.taskmanager.flows import cluster as cluster_flows
from trove.taskmanager.flows import cluster_restart

CLUSTER_ID = 'f31a2a17-b5df-4180-9fd4-853304c84d22'


def test_member_settings_name_every_member_and_its_own_ports():
    text = galera.render({'cluster_name': 'trove-abc',
                          'members': ['127.9.0.1', '127.9.0.2', '127.9.0.3'],
                          'node_address': '127.9.0.2', 'node_name': 'n2'})
    assert 'wsrep_cluster_address = gcomm://127.9.0.1,127.9.0.2,127.9.0.3' \
        in text
    assert 'gmcast.listen_addr=tcp://127.9.0.2:4567' in text
    assert 'ist.recv_addr=127.9.0.2:4568' in text
    assert 'wsrep_sst_receive_address = 127.9.0.2:4444' in text
    assert 'wsrep_provider = /usr/lib/galera/libgalera_smm.so' in text


def test_names_fit_galeras_limit():
    """A name over 32 characters keeps a joiner out of the group."""
    members = [types.SimpleNamespace(
        id=CLUSTER_ID, addresses=[{'address': '127.9.0.1'}])]
    settings = cluster_flows.configuration(
        types.SimpleNamespace(id=CLUSTER_ID), members, members[0])
    assert len(settings['cluster_name']) <= 32
    assert len(settings['node_name']) <= 32


def test_grastate_is_read(tmp_path):
    engine = types.SimpleNamespace(data_dir=str(tmp_path))
    (tmp_path / 'grastate.dat').write_text(
        '# GALERA saved state\nversion: 2.1\nuuid:    d368-60e3\n'
        'seqno:   6\nsafe_to_bootstrap: 1\n')
    assert galera.read_grastate(engine) == {
        'uuid': 'd368-60e3', 'seqno': 6, 'safe_to_bootstrap': 1}


def test_the_member_that_stopped_last_bootstraps_else_the_most_recent():
    assert cluster_restart.choose_bootstrap({
        'a': {'seqno': 9, 'safe_to_bootstrap': 0},
        'b': {'seqno': 6, 'safe_to_bootstrap': 1}}) == 'b'
    assert cluster_restart.choose_bootstrap({
        'a': {'seqno': 9, 'safe_to_bootstrap': 0},
        'b': {'seqno': 12, 'safe_to_bootstrap': 0},
        'c': {'seqno': -1, 'unreachable': True}}) == 'b'
