"""Compute providers: where instances' servers and volumes come from.

The taskmanager never calls Nova, Cinder or a process API directly; it
uses the drivers returned by ``get_compute_driver`` and
``get_volume_driver`` for the configured ``compute_provider``.
"""

from trove.conf import CONF


def get_compute_driver():
    if CONF.compute_provider == 'openstack':
        from trove.compute.openstack import compute
        return compute.NovaComputeDriver()
    from trove.compute.local import compute
    return compute.LocalComputeDriver()


def get_volume_driver():
    if CONF.compute_provider == 'openstack':
        from trove.compute.openstack import volume
        return volume.CinderVolumeDriver()
    from trove.compute.local import volume
    return volume.LocalVolumeDriver()
