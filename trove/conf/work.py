"""[DEFAULT] options of work claims: how taskmanagers share the work.

A flow claims its resource in the control database with a lease it
renews; a claim whose lease passed (its taskmanager died, or the cast
never arrived) is taken over by the periodic sweep of any taskmanager.
"""

from oslo_config import cfg

work_opts = [
    cfg.IntOpt('work_claim_lease', default=30, min=3,
               help='Seconds a taskmanager holds the work on a resource '
                    'without renewing its claim; it renews every third of '
                    'that. When a taskmanager dies, another takes its '
                    'work over at most this long (plus '
                    'work_sweep_interval) later.'),
    cfg.IntOpt('work_pickup_timeout', default=45, min=5,
               help='Seconds the work an API request submitted may wait '
                    'for a taskmanager to claim it (its cast may have been '
                    'lost) before the sweep takes it over.'),
    cfg.IntOpt('work_sweep_interval', default=10, min=1,
               help='Seconds between sweeps for abandoned work. One '
                    'taskmanager of the deployment sweeps at a time.'),
    cfg.IntOpt('work_max_attempts', default=3, min=1,
               help='Times the work on a resource may be taken over after '
                    'its taskmanager died before it ends in an error '
                    'state instead (a flow that kills its taskmanager '
                    'must not kill every other one).'),
]


def register_opts(conf):
    conf.register_opts(work_opts)


def list_opts():
    return {'DEFAULT': work_opts}
