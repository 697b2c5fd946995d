"""Management of datastore versions (``/mgmt/datastore-versions``)."""
