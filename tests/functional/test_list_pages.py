"""List pages on SQLite, MariaDB and PostgreSQL show what the single
resource shows.

Lists are read as one JSON document per row built by the database
(trove.db.expressions.row_document, times as ISO text); showing one
resource loads ORM entities. Every listed item's view must equal the view
of the same resource loaded on its own, field for field, whatever the
database's JSON rendering of numbers, booleans, NULLs and times.
"""

import pytest

from bench import api_seed
from trove.backup import models as backup_models
from trove.backup import views as backup_views
from trove.common import context as trove_context
from trove.common import wsgi
from trove.configuration import models as configuration_models
from trove.configuration import views as configuration_views
from trove.db import api as db_api
from trove.instance import models as instance_models
from trove.instance import views as instance_views

pytestmark = pytest.mark.functional

PROJECT = api_seed.PROJECT


@pytest.fixture
def seeded(control_db_url):
    api_seed.seed(control_db_url, instances=40, backups=60,
                  configurations=6)
    db_api.configure(control_db_url)
    yield
    db_api.configure()


def _request(context):
    request = wsgi.Request.blank('/v1.0/%s/instances' % PROJECT)
    request.environ[wsgi.CONTEXT_KEY] = context
    return request


@pytest.mark.parametrize('admin', [False, True])
def test_listed_instances_show_what_each_instance_shows(seeded, admin):
    context = trove_context.TroveContext(
        project_id=PROJECT, is_admin=admin, overwrite=False)
    request = _request(context)
    listed = instance_models.list_page(context, 100, detail=True)
    summaries = instance_models.list_page(context, 100)
    assert len(listed) == len(summaries) == 40
    kinds = set()
    for item, summary in zip(listed, summaries):
        alone = instance_models.load(context, item.id)
        shown = instance_views.instance_detail_view(request, alone)
        assert instance_views.instance_detail_view(request, item) == shown
        assert (instance_views.instance_view(request, summary)
                == instance_views.instance_view(request, alone))
        kinds.add((shown['status'], 'fault' in shown,
                   'configuration' in shown, 'volume' in shown))
    # The seed covers errors with faults, groups and volumeless rows, and
    # a backup running on some instance (status BACKUP).
    statuses = {kind[0] for kind in kinds}
    assert {'ACTIVE', 'ERROR', 'BACKUP'} <= statuses, statuses
    assert any(kind[1] for kind in kinds) and any(kind[2] for kind in kinds)
    assert not all(kind[3] for kind in kinds)


def test_listed_backups_show_what_each_backup_shows(seeded):
    context = trove_context.TroveContext(project_id=PROJECT, overwrite=False)
    listed = backup_models.list_page(context, 50)
    assert len(listed) == 51   # the page size + 1: a next page exists
    for item in listed:
        shown = backup_views.backup_view(
            backup_models.load(context, item.id))
        assert backup_views.backup_view(item) == shown
        assert isinstance(shown['size'], float)
    assert any(item.parent_id for item in listed)


def test_backup_pages_at_an_integer_offset_are_the_list_from_there(seeded):
    """Upstream's integer marker: the page's ids are found in the list's
    index first, then their rows read (a read of its own shape)."""
    context = trove_context.TroveContext(project_id=PROJECT, overwrite=False)
    whole = backup_models.list_page(context, 100)
    assert len(whole) == 60
    for offset, limit in ((1, 20), (7, 5), (40, 20), (58, 20), (60, 20)):
        page = backup_models.list_page(context, limit, offset=offset)
        expected = whole[offset:offset + limit + 1]
        assert [b.id for b in page] == [b.id for b in expected]
        assert ([backup_views.backup_view(b) for b in page]
                == [backup_views.backup_view(b) for b in expected])
        assert [b.page_updated for b in page] == [
            b.page_updated for b in expected]


def test_listed_groups_show_what_each_group_shows(seeded):
    context = trove_context.TroveContext(project_id=PROJECT, overwrite=False)
    listed = configuration_models.list_page(context, 100)
    assert len(listed) == 6
    for item in listed:
        alone = configuration_models.load(context, item.id)
        assert (configuration_views.configuration_view(item)
                == configuration_views.configuration_view(alone))
