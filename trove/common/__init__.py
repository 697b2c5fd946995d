"""What every part of trove shares: context, exceptions, WSGI, RPC, policy,
states, schemas, views. It imports no service package."""
