"""JSON Schemas of request bodies, as data: one module per resource.

Controllers name the schema of each action in their ``schemas`` mapping;
``trove.common.wsgi.Resource`` validates bodies with Draft 4 before the
controller runs. Upstream's shapes (trove/common/apischema.py) are kept,
including where unknown keys are allowed.
"""
