"""API controller of backup schedules: ``/instances/{id}/backup_schedules``.

Upstream's schedules (the ``schedule-*`` client commands) were Mistral
cron triggers and are gone; these are served by Trove itself (see
doc/backup-schedules.md).
"""

from trove.backup import schedules
from trove.common import policy
from trove.common import wsgi
from trove.common.schemas import backup as backup_schemas
from trove.instance import models as instance_models
from trove.records import events


class BackupScheduleController(wsgi.Controller):

    schemas = {'create': backup_schemas.schedule_create}

    @staticmethod
    def _instance(req, id, rule):
        context = req.context
        instance = instance_models.load(context, id)
        policy.authorize_on_target(context, rule,
                                   {'tenant': instance.tenant_id})
        return instance

    def index(self, req, tenant_id, id):
        instance = self._instance(req, id, 'backup_schedule:index')
        return {'backup_schedules': [
            schedules.view(row)
            for row in schedules.list_for(req.context, instance.id)]}

    def show(self, req, tenant_id, id, schedule_id):
        instance = self._instance(req, id, 'backup_schedule:show')
        return {'backup_schedule': schedules.view(
            schedules.load(req.context, instance.id, schedule_id))}

    def create(self, req, tenant_id, id, body):
        context = req.context
        instance = self._instance(req, id, 'backup_schedule:create')
        row = schedules.create(context, instance, body['backup_schedule'])
        events.record(context, instance.id, events.SCHEDULE,
                      'Backup schedule %s ("%s") created: %s%s, first run '
                      'at %s UTC.' % (
                          row.id, row.name,
                          'restore drills, ' if row.action ==
                          schedules.DRILL else '',
                          'cron "%s"' % row.cron if row.cron
                          else 'every %d seconds' % row.interval_s,
                          row.next_run_at.isoformat(timespec='seconds')))
        return {'backup_schedule': schedules.view(row)}

    def delete(self, req, tenant_id, id, schedule_id):
        context = req.context
        instance = self._instance(req, id, 'backup_schedule:delete')
        row = schedules.load(context, instance.id, schedule_id)
        schedules.delete(context, row.id)
        events.record(context, instance.id, events.SCHEDULE,
                      'Backup schedule %s ("%s") deleted; its backups are '
                      'kept.' % (row.id, row.name))
        return wsgi.Result(None, 202)
