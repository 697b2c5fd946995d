"""The import contracts of .importlinter (DESIGN.md's rules of the house):
the guest agent never imports the control plane nor its libraries
(SQLAlchemy, oslo.db, the API's), the taskmanager and the
conductor never import the API's packages, shared foundations import no
service, datastores sit below configuration groups. A reintroduced
two-way import fails here."""

import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def lint_imports():
    lint = os.path.join(os.path.dirname(sys.executable), 'lint-imports')
    return subprocess.run([lint, '--config', str(REPO / '.importlinter'),
                           '--no-cache'], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_every_import_contract_is_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'BROKEN' not in result.stdout
    assert result.stdout.count('KEPT') == 6
