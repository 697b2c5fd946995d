"""Test helpers: free ports, throwaway databases, processes, services."""
