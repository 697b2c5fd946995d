"""Response bodies as JSON, or as XML holding the same document."""

import json
from xml.etree import ElementTree

import pytest

from trove.common import serializers

NS = '{%s}' % serializers.XML_NAMESPACE

DATASTORE = {'datastore': {
    'id': 'd1', 'name': 'mariadb', 'default_version': 'v1',
    'links': [{'href': 'http://h/v1.0/p/datastores/d1', 'rel': 'self'},
              {'href': 'http://h/datastores/d1', 'rel': 'bookmark'}],
    'versions': [{'id': 'v1', 'name': '10.11', 'active': True,
                  'image': None, 'image_tags': ['trove', 'x'],
                  'packages': '',
                  'links': [{'href': 'http://h/x', 'rel': 'self'}]}],
}}


def _local(tag):
    return tag[len(NS):] if tag.startswith(NS) else tag


def assert_same(value, element):
    """``element`` holds ``value`` by the generic XML rules."""
    if isinstance(value, dict):
        children = list(element)
        for key, item in value.items():
            if item is None:
                assert key not in element.attrib
            elif isinstance(item, (dict, list)):
                [child] = [c for c in children if _local(c.tag) == key]
                assert_same(item, child)
            else:
                expected = (str(item).lower() if isinstance(item, bool)
                            else str(item))
                assert element.attrib[key] == expected
    elif isinstance(value, list):
        children = list(element)
        assert len(children) == len(value)
        for item, child in zip(value, children, strict=True):
            assert _local(child.tag) == serializers.singular(
                _local(element.tag))
            assert_same(item, child)
    else:
        assert element.text == str(value)


@pytest.mark.parametrize('accept,expected', [
    (None, 'application/json'),
    ('', 'application/json'),
    ('*/*', 'application/json'),
    ('application/json', 'application/json'),
    ('application/vnd.openstack.trove+json', 'application/json'),
    ('application/xml', 'application/xml'),
    ('application/vnd.openstack.trove+xml', 'application/xml'),
    ('text/html', 'application/json'),
    ('application/xml;q=0.5, application/json', 'application/json'),
])
def test_content_type_for_accept(accept, expected):
    assert serializers.content_type_for(accept) == expected


def test_json_is_the_document_itself():
    body = serializers.serialize(DATASTORE, 'application/json')
    assert json.loads(body) == DATASTORE


def test_xml_holds_the_same_document():
    body = serializers.serialize(DATASTORE, 'application/xml')
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(body)
    assert root.tag == NS + 'datastore'
    assert_same(DATASTORE['datastore'], root)


def test_xml_rules_for_scalars_lists_and_names():
    root = ElementTree.fromstring(serializers.to_xml({'version': {
        'active': False, 'image': None, 'count': 3,
        'image_tags': ['trove'], 'bad key': 'v', 'text': 'a<b&c'}}))
    assert root.attrib == {'active': 'false', 'count': '3',
                           'text': 'a<b&c'}
    [tags] = root.findall(NS + 'image_tags')
    assert [(t.tag, t.text) for t in tags] == [(NS + 'image_tag', 'trove')]
    # A key that is no XML name becomes an entry element carrying it.
    [entry] = root.findall(NS + 'entry')
    assert entry.attrib == {'key': 'bad key'} and entry.text == 'v'


def test_xml_of_a_document_with_several_top_level_keys():
    root = ElementTree.fromstring(serializers.to_xml(
        {'instances': [], 'links': [{'rel': 'next', 'href': 'u'}]}))
    assert root.tag == NS + 'response'
    assert [_local(c.tag) for c in root] == ['instances', 'links']


@pytest.mark.parametrize('plural,singular', [
    ('datastores', 'datastore'), ('versions', 'version'),
    ('configuration-parameters', 'configuration-parameter'),
    ('addresses', 'address'), ('policies', 'policy'),
    ('image_tags', 'image_tag'), ('ip', 'ip'), ('data', 'item'),
])
def test_singular(plural, singular):
    assert serializers.singular(plural) == singular
