"""Management of the configuration parameters of datastore versions
(``/mgmt/datastores/versions/{version_id}/parameters``)."""
