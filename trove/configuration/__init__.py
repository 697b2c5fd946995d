"""Configuration groups: named sets of engine parameters tenants attach to
their instances (API, validation against the datastore version's parameter
rules, application to instances through their guest agents)."""
