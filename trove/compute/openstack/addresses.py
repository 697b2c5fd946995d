"""An instance's addresses as upstream shows them.

``[{"address", "type": "private", "network": <net id>}, ...,
{"address", "type": "public"}]``: the fixed IPs of the server's Neutron
ports on the user's networks, then its floating IPs. Management networks
are the control plane's, not the user's, so their addresses are left out
— unless the server has no other, as when a request names no network;
then the management address is what reaches the database. ``ip_regex``
and ``black_list_regex`` filter the result.

Pure functions over what Nova and Neutron returned.
"""

import re

from trove.conf import CONF


def _visible(address):
    if CONF.ip_regex and not re.search(CONF.ip_regex, address):
        return False
    if CONF.black_list_regex and re.search(CONF.black_list_regex, address):
        return False
    return True


def from_ports(ports, nova_addresses=None):
    """Addresses of a server from its Neutron ports (``network_id`` and
    ``fixed_ips`` each) and Nova's ``addresses`` (for floating IPs)."""
    management = set(CONF.management_networks)
    user, control = [], []
    for port in ports:
        network_id = port['network_id']
        for fixed in port.get('fixed_ips') or ():
            entry = {'address': fixed['ip_address'], 'type': 'private',
                     'network': network_id}
            (control if network_id in management else user).append(entry)
    private = user or control
    public = [{'address': entry['addr'], 'type': 'public'}
              for entries in (nova_addresses or {}).values()
              for entry in entries
              if entry.get('OS-EXT-IPS:type') == 'floating']
    return [entry for entry in private + public if _visible(entry['address'])]
