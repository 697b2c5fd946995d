"""Replication positions compared as numbers, and what the strategies
write for the engines (no engine needed)."""

import pytest

from trove.guestagent import errors
from trove.guestagent.replication import base
from trove.guestagent.replication import postgresql_streaming


def test_gtid_positions_are_summed_sequence_numbers():
    assert base.gtid_number('') == 0
    assert base.gtid_number('0-1-12') == 12
    assert base.gtid_number('0-1-12,1-7-5') == 17
    assert base.gtid_number('0-1-12,1-7-5', domain=1) == 5
    # As numbers, not text: 0-1-100 is further than 0-1-99.
    assert base.gtid_number('0-1-100') > base.gtid_number('0-1-99')
    with pytest.raises(errors.GuestAgentError):
        base.gtid_number('not a gtid')


def test_lsns_are_numbers():
    assert base.lsn_number('0/3000148') == 0x3000148
    assert base.lsn_number('1/0') == 1 << 32
    # Text comparison would get these wrong.
    assert base.lsn_number('0/10000000') > base.lsn_number('0/9FFFFFF')
    assert base.lsn_number(None) == 0
    with pytest.raises(errors.GuestAgentError):
        base.lsn_number('zz/1')


def test_replication_accounts_are_short_and_hidden_by_prefix():
    name = base.replication_user('123e4567-e89b-12d3-a456-426614174000')
    assert name == 'trove_repl_123e4567e89b12d3'
    assert name.startswith(base.REPLICATION_USER_PREFIX)
    assert len(name) <= 63


def test_conninfo_quotes_every_value():
    text = postgresql_streaming.conninfo(
        {'host': '127.0.0.2', 'port': 5432, 'user': 'r',
         'password': "it's\\odd"}, 'replica-1', dbname='postgres')
    assert text == ("host='127.0.0.2' port='5432' user='r' "
                    "password='it\\'s\\\\odd' application_name='replica-1' "
                    "dbname='postgres'")
