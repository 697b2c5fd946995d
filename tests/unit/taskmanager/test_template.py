"""Finding and rendering datastore configuration templates."""

import os

import pytest

from trove.common import template
from trove.conf import CONF

FLAVOR = {'id': '2', 'name': 'small', 'ram': 2048, 'vcpus': 2, 'disk': 10}


def write(root, name, text):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def find(paths, name='mariadb', version='10.11', manager='mariadb',
         number='10.11.19'):
    found = template.find_template(name, version, manager, number,
                                   paths=[str(p) for p in paths])
    return found.render(flavor=FLAVOR, datastore={}, server_id=1).strip()


def test_candidates_go_from_most_specific_to_the_manager():
    assert template.candidate_names('mariadb', '10.11', 'mariadb',
                                    '10.11.19') == [
        'mariadb/10.11/config.template',
        'mariadb/10/config.template',
        'mariadb/config.template',
    ]
    assert template.candidate_names('my-maria', 'stable', 'mariadb',
                                    '10.11.19') == [
        'my-maria/stable/config.template',
        'my-maria/10.11/config.template',
        'my-maria/10/config.template',
        'my-maria/config.template',
        'mariadb/config.template',
    ]


@pytest.mark.parametrize('present, expected', [
    (['mariadb/config.template'], 'mariadb/config.template'),
    (['mariadb/config.template', 'mariadb/10/config.template'],
     'mariadb/10/config.template'),
    (['mariadb/10/config.template', 'mariadb/10.11/config.template'],
     'mariadb/10.11/config.template'),
    (['mariadb/10.11/config.template', 'mariadb/stable/config.template'],
     'mariadb/stable/config.template'),
])
def test_the_most_specific_template_wins(tmp_path, present, expected):
    for name in present:
        write(tmp_path, name, name)
    assert find([tmp_path], version='stable') == expected


def test_the_manager_template_serves_a_datastore_without_its_own(tmp_path):
    write(tmp_path, 'mariadb/config.template', 'by manager')
    assert find([tmp_path], name='my-maria') == 'by manager'


def test_the_operators_directory_comes_before_the_packaged_one(tmp_path):
    operator, packaged = tmp_path / 'operator', tmp_path / 'packaged'
    write(packaged, 'mariadb/config.template', 'packaged')
    assert find([operator, packaged]) == 'packaged'
    write(operator, 'mariadb/config.template', 'operator')
    assert find([operator, packaged]) == 'operator'
    # A more specific packaged template still beats a generic override.
    write(packaged, 'mariadb/10.11/config.template', 'packaged 10.11')
    assert find([operator, packaged]) == 'packaged 10.11'


def test_search_paths_are_template_path_then_the_package(tmp_path):
    CONF.set_override('template_path', str(tmp_path))
    try:
        assert template.search_paths() == [str(tmp_path),
                                           template.PACKAGED_TEMPLATES]
    finally:
        CONF.clear_override('template_path')
    assert template.PACKAGED_TEMPLATES.endswith('trove/templates')


def test_no_template_names_what_was_looked_for(tmp_path):
    with pytest.raises(template.TemplateNotFound) as error:
        find([tmp_path])
    assert 'mariadb/10.11/config.template' in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_rendering_sees_flavor_datastore_and_server_id(tmp_path):
    write(tmp_path, 'mariadb/config.template',
          'ram={{ flavor.ram }} buffer={{ flavor.ram // 2 }}M\n'
          'ds={{ datastore.name }}/{{ datastore.manager }}/'
          '{{ datastore.version }}/{{ datastore.semantic_version }}\n'
          'server_id={{ server_id }}\n')
    rendered = template.render_config(
        FLAVOR, 'mariadb', '10.11', 'mariadb', 'a1b2c3d4-0000-4000-8000-'
        '000000000001', version_number='10.11.19', paths=[str(tmp_path)])
    lines = rendered.splitlines()
    assert lines[0] == 'ram=2048 buffer=1024M'
    assert lines[1] == 'ds=mariadb/mariadb/10.11.19/10.11.19'
    server_id = int(lines[2].split('=')[1])
    assert 0 < server_id < 2 ** 31
    assert rendered.endswith('\n')


def test_server_id_is_stable_and_positive():
    ids = {template.server_id('instance-%d' % n) for n in range(200)}
    assert all(0 < value < 2 ** 31 for value in ids)
    assert len(ids) == 200
    assert template.server_id('x') == template.server_id('x')


def test_a_broken_template_is_a_template_error(tmp_path):
    write(tmp_path, 'mariadb/config.template', '{{ flavor.ram // }}')
    with pytest.raises(template.TemplateError):
        template.render_config(FLAVOR, 'mariadb', '10.11', 'mariadb', 'id',
                               paths=[str(tmp_path)])


@pytest.mark.parametrize('manager', ['mariadb', 'mysql', 'postgresql'])
def test_the_packaged_templates_render_through_the_default_search(
        manager, tmp_path):
    CONF.set_override('template_path', str(tmp_path / 'nothing-here'))
    try:
        try:
            rendered = template.render_config(FLAVOR, manager, '1.0',
                                              manager, 'instance-1',
                                              version_number='1.0.0')
        except template.TemplateNotFound:
            pytest.skip('no packaged template for %s yet' % manager)
    finally:
        CONF.clear_override('template_path')
    assert rendered.strip()


def test_a_template_is_compiled_once_and_an_edit_applies_next_time(
        tmp_path):
    path = write(tmp_path, 'mariadb/config.template', 'first')
    paths = [str(tmp_path)]
    found = template.find_template(None, None, 'mariadb', paths=paths)
    # Not compiled again for the next build.
    assert template.find_template(None, None, 'mariadb',
                                  paths=paths) is found
    path.write_text('edited {{ server_id }}')
    later = os.stat(path).st_mtime + 5
    os.utime(path, (later, later))
    assert template.render_config({}, None, None, 'mariadb', 'x',
                                  paths=paths).startswith('edited ')
