"""The guest logs of the MySQL family: general and slow query logs (user
logs, switched with SET GLOBAL on the running server and an include file
in conf.d for its next starts) and the error log (the server's output,
always on)."""

import os

from trove.guestagent import guest_log
from trove.guestagent import operating_system

# name -> (server variable switching it, variable naming its file)
USER_LOGS = {'general': ('general_log', 'general_log_file'),
             'slow_query': ('slow_query_log', 'slow_query_log_file')}


def _logs_dir(engine):
    return os.path.join(engine.state_dir, 'guest-logs')


def _log_path(engine, name):
    return os.path.join(_logs_dir(engine), 'mysql-%s.log' % name)


def _conf_path(engine, name):
    return os.path.join(engine.overrides_dir, 'guest-log-%s.cnf' % name)


def _settings(engine, name):
    switch, file_variable = USER_LOGS[name]
    settings = {file_variable: _log_path(engine, name)}
    if name == 'slow_query':
        settings['long_query_time'] = \
            engine.conf.guest_log_long_query_time / 1000.0
    return switch, settings


def _enable(engine, name):
    # The server (possibly another OS user) writes the file.
    operating_system.ensure_dir(_logs_dir(engine), 0o755, engine.user)
    switch, settings = _settings(engine, name)
    lines = ['[mysqld]', '%s = 1' % switch] + [
        '%s = %s' % item for item in sorted(settings.items())]
    operating_system.write_file(_conf_path(engine, name),
                                '\n'.join(lines) + '\n', mode=0o644)
    with engine.admin().cursor() as cursor:
        for variable, value in sorted(settings.items()):
            cursor.execute('SET GLOBAL %s = %%s' % variable, (value,))
        cursor.execute('SET GLOBAL %s = ON' % switch)


def _disable(engine, name):
    try:
        os.unlink(_conf_path(engine, name))
    except FileNotFoundError:
        pass
    switch, _settings_ = _settings(engine, name)
    with engine.admin().cursor() as cursor:
        cursor.execute('SET GLOBAL %s = OFF' % switch)


def specs(engine):
    logs = [guest_log.LogSpec(
                name, guest_log.USER, _log_path(engine, name),
                enable=lambda name=name: _enable(engine, name),
                disable=lambda name=name: _disable(engine, name))
            for name in sorted(USER_LOGS)]
    logs.append(guest_log.LogSpec('error', guest_log.SYS, engine.log_path))
    return logs
