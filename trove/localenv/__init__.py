"""The embedded default: everything on one machine, driven by trove-local.

``trove-local up`` writes a state directory (config, control DB, logs),
registers the engines installed here as datastores, creates default
flavors and starts the services as detached processes; ``down`` stops
them and every instance they started.
"""
