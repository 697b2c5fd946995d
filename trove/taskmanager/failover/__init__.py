"""Automatic failover (doc/failover.md): the taskmanager's engine probes,
the failover decision and the monitor that starts the failover flow."""
