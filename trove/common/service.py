"""A long-running RPC service: one RPC server plus periodic tasks.

Each periodic task runs in its own thread on its own interval, so a slow
task never delays the RPC endpoints or the other tasks. ``stop`` ends
everything cleanly (SIGTERM handling lives in the console scripts).
"""

import threading

from oslo_log import log as logging

from trove.common import rpc

LOG = logging.getLogger(__name__)


class PeriodicTask:
    def __init__(self, name, interval, function, initial_delay=0):
        self.name = name
        self.interval = interval
        self.function = function
        self.initial_delay = initial_delay


class RpcService:

    def __init__(self, topic, server, endpoints, periodic_tasks=(),
                 rpc_threads=None, serializer=None):
        self.topic = topic
        # None: rpc.ContextSerializer (plain messages).
        self.serializer = serializer
        # Threads handling messages; None: oslo.messaging's
        # executor_thread_pool_size.
        self.rpc_threads = rpc_threads
        self.server = server
        self.endpoints = endpoints
        self.periodic_tasks = list(periodic_tasks)
        self._stopping = threading.Event()
        self._threads = []
        self._rpc_server = None

    def start(self):
        self._rpc_server = rpc.get_server(self.topic, self.server,
                                          self.endpoints,
                                          serializer=self.serializer)
        self._rpc_server.start(override_pool_size=self.rpc_threads)
        LOG.info('Serving topic %s as %s', self.topic, self.server)
        for task in self.periodic_tasks:
            if task.interval and task.interval > 0:
                thread = threading.Thread(target=self._run_periodic,
                                          args=(task,), daemon=True,
                                          name='periodic-' + task.name)
                thread.start()
                self._threads.append(thread)

    def _run_periodic(self, task):
        if self._stopping.wait(task.initial_delay):
            return
        while not self._stopping.is_set():
            try:
                task.function()
            except Exception:
                LOG.exception('Periodic task %s failed', task.name)
            if self._stopping.wait(task.interval):
                return

    def wait_stopped(self):
        """Block until ``stop`` is called."""
        while not self._stopping.wait(3600):
            pass

    def stop(self):
        self._stopping.set()
        if self._rpc_server is not None:
            self._rpc_server.stop()
            self._rpc_server.wait()
        for thread in self._threads:
            thread.join(timeout=10)
