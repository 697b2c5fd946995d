"""The base of the API's plain WSGI paste filters.

A filter wraps the next application of the pipeline and is built by
paste through ``factory``; subclasses only write ``__call__``. It has no
dependencies, so every module of the pipeline (faults, request bodies,
the access log) can use it without an import cycle.
"""


class Filter:

    def __init__(self, application, **local_config):
        self.application = application
        self.local_config = local_config

    @classmethod
    def factory(cls, global_config, **local_config):
        def _factory(application):
            return cls(application, **local_config)
        return _factory
