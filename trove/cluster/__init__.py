"""Clusters: groups of instances that act as one database."""
