"""Installs the bind-every-port ML2 driver into the OpenStack test venv."""

from setuptools import setup

setup(
    name='trove-ml2-bind-all',
    version='1.0',
    py_modules=['trove_ml2_bind_all'],
    entry_points={'neutron.ml2.mechanism_drivers': [
        'trove_bind_all = trove_ml2_bind_all:BindEveryPortDriver']},
)
