"""The API's JSON body decoder: what it still accepts, next to the
refusals that tests/functional/api/test_server.py sends over HTTP."""

import io

import pytest

from trove.common import exception
from trove.common import request_body


@pytest.mark.parametrize('raw, expected', [
    (b'{"a": 1}', {'a': 1}),
    # The largest unsigned 64-bit value: MariaDB parameters use it.
    (b'{"v": 18446744073709551615}', {'v': 18446744073709551615}),
    (b'{"v": -18446744073709551615}', {'v': -18446744073709551615}),
    (b'{"v": -1.5e300}', {'v': -1.5e300}),
    (b'{"n": "\\ud83d\\ude00 \xc3\xa9"}', {'n': '\U0001F600 \u00e9'}),
    (b'\xef\xbb\xbf{"bom": true}', {'bom': True}),
    (b'{"a": {"b": [{"c": [{"d": null}]}]}}',
     {'a': {'b': [{'c': [{'d': None}]}]}}),
])
def test_ordinary_bodies_decode(raw, expected):
    assert request_body.decode(raw) == expected


def test_nesting_up_to_the_maximum_is_accepted():
    depth = request_body.MAX_DEPTH - 1
    raw = b'{"a":' * depth + b'1' + b'}' * depth
    request_body.decode(raw)
    deeper = b'{"a":' * (depth + 1) + b'{}' + b'}' * (depth + 1)
    with pytest.raises(exception.MalformedRequestBody):
        request_body.decode(deeper)


def test_a_header_document_may_be_a_list():
    assert request_body.decode(b'[{"type": "object-store"}]',
                               require_object=False) == [
        {'type': 'object-store'}]


def test_limited_input_reads_up_to_the_limit_and_refuses_more():
    reader = request_body._LimitedInput(io.BytesIO(b'x' * 10), 10)
    assert reader.read() == b'x' * 10
    assert reader.read() == b''
    over = request_body._LimitedInput(io.BytesIO(b'x' * 11), 10)
    with pytest.raises(request_body.BodyTooLarge) as refused:
        over.read()
    assert refused.value.code == 413
