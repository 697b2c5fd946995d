"""The guest agent's backup code never loads the control plane."""

import subprocess
import sys

FORBIDDEN = ('trove.db', 'trove.instance', 'trove.taskmanager',
             'trove.extensions', 'trove.backup.models')


def test_guest_backup_modules_import_no_control_plane_module():
    code = (
        'import sys\n'
        'import trove.guestagent.datastore.manager\n'
        'import trove.guestagent.backup.runner\n'
        'import trove.guestagent.backup.restorer\n'
        'import trove.guestagent.backup.mariadb\n'
        'import trove.guestagent.backup.postgresql\n'
        'import trove.storage.swift\n'
        'import trove.storage.local\n'
        'print("\\n".join(sorted(m for m in sys.modules '
        'if m.startswith("trove."))))\n')
    result = subprocess.run([sys.executable, '-c', code], check=True,
                            capture_output=True, text=True, timeout=60)
    loaded = result.stdout.split()
    assert 'trove.guestagent.backup.runner' in loaded
    assert [m for m in loaded if m.startswith(FORBIDDEN)] == []
