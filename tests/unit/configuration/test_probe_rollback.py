"""Configuration auto-rollback when the engine starts but its health
probe fails within ``configuration_probe_deadline`` (the guest's
Overrides with a fake engine)."""

import pytest

from trove.conf import CONF
from trove.guestagent.datastore import configuration


class FakeLive:
    @staticmethod
    def render(overrides):
        return ''.join('%s = %s\n' % item for item in sorted(
            overrides.items()))


class FakeEngine:
    """Answers its probe unless it runs with ``poison`` in its overrides;
    ``dies`` makes it stop right after such a start."""

    display_name = 'FakeDB'
    manager = 'fake'

    def __init__(self, config_dir, poison=None, dies=False):
        self.config_dir = str(config_dir)
        self.overrides_path = str(config_dir / 'overrides.cnf')
        self.poison = poison
        self.dies = dies
        self.starts = []
        self.alive = False

    def ensure_config_dirs(self):
        pass

    def running_with(self):
        try:
            with open(self.overrides_path) as rendered:
                return rendered.read()
        except FileNotFoundError:
            return ''

    def start(self):
        self.starts.append(self.running_with())
        self.alive = True

    def stop(self):
        self.alive = False

    def poisoned(self):
        return bool(self.poison) and self.poison in self.running_with()

    def is_alive(self):
        return self.alive and not (self.dies and self.poisoned())

    def query_ok(self):
        return self.alive and not self.poisoned()


@pytest.fixture
def probe():
    CONF.set_override('configuration_probe_deadline', 5)
    CONF.set_override('configuration_probe_failures', 3)
    CONF.set_override('configuration_probe_interval', 0.05)
    yield
    for name in ('configuration_probe_deadline',
                 'configuration_probe_failures',
                 'configuration_probe_interval'):
        CONF.clear_override(name)


def overrides_of(engine, faults):
    overrides = configuration.Overrides(
        engine, lambda message, details='': faults.append(message))
    overrides._live = FakeLive()
    return overrides


@pytest.mark.parametrize('dies, how', [
    (False, 'Its health probe failed 3 times in a row within 5 seconds '
            'of its start'),
    (True, 'FakeDB stopped within 5 seconds of its start'),
])
def test_a_value_that_fails_the_probe_after_a_start_rolls_back(
        tmp_path, probe, dies, how):
    faults = []
    engine = FakeEngine(tmp_path, poison='max_connections = 1', dies=dies)
    overrides = overrides_of(engine, faults)
    overrides.write({'wait_timeout': 100})
    overrides.start_engine()
    assert overrides.started() == {'wait_timeout': 100}

    overrides.write({'wait_timeout': 100, 'max_connections': 1})
    overrides.start_engine()
    # Back on the last working values, answering, and the fault names
    # the parameter that broke it.
    assert overrides.current() == {'wait_timeout': 100}
    assert overrides.started() == {'wait_timeout': 100}
    assert engine.query_ok() and engine.starts[-1] == 'wait_timeout = 100\n'
    assert faults == [
        'FakeDB failed its health probe after starting with configuration '
        'parameters max_connections=1 and runs with its last working '
        'configuration again. ' + how + '.']


def test_a_healthy_start_with_new_values_keeps_them(tmp_path, probe):
    faults = []
    engine = FakeEngine(tmp_path, poison='nothing')
    overrides = overrides_of(engine, faults)
    overrides.write({'wait_timeout': 200})
    overrides.start_engine()
    assert overrides.started() == {'wait_timeout': 200}
    assert faults == [] and len(engine.starts) == 1


def test_known_values_and_a_zero_deadline_are_not_watched(tmp_path, probe):
    engine = FakeEngine(tmp_path, poison='wait_timeout')
    overrides = overrides_of(engine, [])
    calls = []
    overrides.watch_health = lambda: calls.append(1)
    overrides.write({})
    overrides.start_engine()
    assert calls == []      # the same values as the last start
    CONF.set_override('configuration_probe_deadline', 0)
    overrides = overrides_of(engine, [])
    overrides.write({'wait_timeout': 1})
    assert overrides.watch_health() is None
