"""Where the rate limiter keeps its buckets: shared by every API worker.

An API server runs several worker processes; a per-process counter would
let a project make N times its limit. ``FileRateStore`` keeps the buckets
in a small memory-mapped file under ``state_path`` that all workers of the
host map, guarded by an exclusive ``flock`` (across processes) and a
thread lock (across a worker's threads). Each bucket is a fixed slot
(key hash, water level, time of last update) found by open addressing;
a bucket that has fully drained is free for reuse, so the file never grows.
"""

import contextlib
import fcntl
import hashlib
import mmap
import os
import struct
import threading

_SLOT = struct.Struct('<Qdd')   # key hash, level, stamp
_PROBES = 64


def _key_hash(key):
    digest = hashlib.blake2b(key.encode('utf-8'), digest_size=8).digest()
    return int.from_bytes(digest, 'little') or 1   # 0 marks a free slot


class FileRateStore:

    def __init__(self, path, slots=8192):
        self.path = path
        self.slots = slots
        self._size = slots * _SLOT.size
        self._thread_lock = threading.Lock()
        self._pid = None
        self._file = None
        self._map = None

    def _open(self):
        # Re-open after a fork: the mapping is shared, the descriptor
        # (and its flock) must be this process's own.
        if self._pid == os.getpid():
            return
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._file = os.fdopen(fd, 'r+b')
        fcntl.flock(self._file, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_size < self._size:
                os.ftruncate(fd, self._size)
        finally:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._map = mmap.mmap(fd, self._size)
        self._pid = os.getpid()

    @contextlib.contextmanager
    def _locked(self):
        with self._thread_lock:
            self._open()
            fcntl.flock(self._file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._file, fcntl.LOCK_UN)

    def _read(self, index):
        return _SLOT.unpack_from(self._map, index * _SLOT.size)

    def _write(self, index, key_hash, level, stamp):
        _SLOT.pack_into(self._map, index * _SLOT.size, key_hash, level, stamp)

    def _find(self, key_hash, now):
        """(slot index, current level) of a key, claiming a slot if new."""
        start = key_hash % self.slots
        reusable = None
        lowest = None
        for probe in range(_PROBES):
            index = (start + probe) % self.slots
            slot_hash, level, stamp = self._read(index)
            if slot_hash == key_hash:
                return index, max(0.0, level - (now - stamp))
            drained = max(0.0, level - (now - stamp))
            if slot_hash == 0 or drained == 0.0:
                if reusable is None:
                    reusable = index
            elif lowest is None or drained < lowest[1]:
                lowest = (index, drained)
        index = reusable if reusable is not None else lowest[0]
        self._write(index, key_hash, 0.0, now)
        return index, 0.0

    def fill(self, key, capacity, cost, now, commit=True):
        """Add ``cost`` to bucket ``key``: (level, 0) if it fits, else
        (level, seconds until it would)."""
        key_hash = _key_hash(key)
        with self._locked():
            index, level = self._find(key_hash, now)
            if level + cost > capacity:
                self._write(index, key_hash, level, now)
                return level, level + cost - capacity
            if commit:
                self._write(index, key_hash, level + cost, now)
            return level + cost, 0.0

    def level(self, key, now):
        key_hash = _key_hash(key)
        with self._locked():
            start = key_hash % self.slots
            for probe in range(_PROBES):
                slot_hash, level, stamp = self._read(
                    (start + probe) % self.slots)
                if slot_hash == key_hash:
                    return max(0.0, level - (now - stamp))
            return 0.0
