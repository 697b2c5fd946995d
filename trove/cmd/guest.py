"""trove-guestagent: the agent managing one instance's engine."""

import sys


def main():
    from trove.guestagent import service
    return service.main(sys.argv[1:])
