import datetime

import pytest
from trove.common import exception
from trove.common import page_keys


@pytest.mark.parametrize('moment', [
    datetime.datetime(1970, 1, 1),
    datetime.datetime(2026, 12, 5, 11, 55, 33, 123456),
    datetime.datetime(2026, 12, 5, 11, 55, 33),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999)])
@pytest.mark.parametrize('row_id', ['6f1c3a52-6a3c-4b8e-9a34-0c0d3c1b2a10',
                                    'k~1~x', '~'])
def test_a_key_gives_back_its_moment_and_id(moment, row_id):
    key = page_keys.key_of(moment, row_id)
    assert page_keys.is_key(key)
    assert page_keys.parse(key) == (moment, row_id)


def test_a_key_is_never_an_integer_offset():
    key = page_keys.key_of(datetime.datetime(2026, 12, 5, 12), 'abc')
    assert key == 'k~1796472000000000~abc'
    with pytest.raises(ValueError):
        int(key)


@pytest.mark.parametrize('marker', ['k~', 'k~1', 'k~x~id', 'k~1~',
                                    'k~%d~id' % 10 ** 30, 'k~1~' + 'x' * 65])
def test_markers_not_made_here_are_refused(marker):
    with pytest.raises(exception.BadRequest):
        page_keys.parse(marker)
