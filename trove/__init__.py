"""A database-as-a-service control plane compatible with OpenStack Trove."""

import os
import warnings

# eventlet (imported, unused, by oslo.service through oslo.messaging)
# would otherwise load dnspython for a green resolver nothing here uses:
# several MB in every process, the guest agents' included. An operator's
# own setting wins.
os.environ.setdefault('EVENTLET_NO_GREENDNS', 'yes')

# oslo.messaging imports oslo.service, which imports eventlet without using
# it here (every service runs on threads); its deprecation banner on each
# start would only be noise for operators.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
