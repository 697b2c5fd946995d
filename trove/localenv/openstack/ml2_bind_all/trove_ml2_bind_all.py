"""An ML2 mechanism driver that binds every port at once, for test stacks.

Neutron here runs without agents (no OVS, no Linux bridge), so no real
mechanism driver can bind a port and Nova's servers would fail with
PortBindingFailed. This driver binds each port to its first segment with
VIF type ``other`` and marks it ACTIVE, which is all the fake virt driver
needs. It is installed into the OpenStack test virtualenv only; the
project never imports it, and it must never be used on a real cloud.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class BindEveryPortDriver(api.MechanismDriver):

    def initialize(self):
        pass

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER,
                                {portbindings.CAP_PORT_FILTER: False},
                                status=constants.PORT_STATUS_ACTIVE)
            return
