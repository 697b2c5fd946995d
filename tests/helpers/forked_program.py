"""A fork server of a small program, for the fork server's tests.

The program writes where it runs (argv, pid, session, parent, name) as
JSON into the file its first argument names, prints a line (its log),
and runs until SIGTERM; ``--exit TEXT`` makes it return TEXT at once
(as trove-guestagent returns what stops it).
"""

import json
import os
import signal
import sys
import threading

from trove.common import forkserver


def main(argv):
    report_path = argv[0]
    if '--exit' in argv:
        return argv[argv.index('--exit') + 1]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *unused: stop.set())
    with open('/proc/self/comm') as comm:
        name = comm.read().strip()
    with open(report_path + '.tmp', 'w') as report:
        json.dump({'argv': argv, 'pid': os.getpid(), 'sid': os.getsid(0),
                   'ppid': os.getppid(), 'name': name,
                   'cwd': os.getcwd(), 'sys_argv': sys.argv}, report)
    os.rename(report_path + '.tmp', report_path)
    print('forked program running', flush=True)
    stop.wait(60)
    print('forked program stopping', flush=True)
    return 0


if __name__ == '__main__':
    forkserver.serve(main, 'forked-program')
