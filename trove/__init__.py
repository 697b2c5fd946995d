"""A database-as-a-service control plane compatible with OpenStack Trove."""

import warnings

# oslo.messaging imports oslo.service, which imports eventlet without using
# it here (every service runs on threads); its deprecation banner on each
# start would only be noise for operators.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
