"""[DEFAULT] options of the guest agent about its host: the data volume.

These are read by ``trove-guestagent`` only. The local provider injects
``volume_driver = directory`` into each instance's ``guest_info.conf``; a
guest on a Nova server keeps the ``block`` default. Where the volume is
(``[<datastore>] device_path`` and ``mount_point``) comes with prepare.
"""

from oslo_config import cfg

guest_engine_opts = [
    cfg.StrOpt('volume_driver', default='block',
               choices=[('block', 'The data volume is a mounted block '
                                  'device: sizes come from statvfs of the '
                                  'mount point, resize runs resize2fs.'),
                        ('directory', 'The data volume is a plain directory '
                                      '(local provider): its size is read '
                                      'from volume.json in its device_path '
                                      'directory (or '
                                      'directory_volume_size_file) and its '
                                      'usage measured by walking it.')],
               help='How the guest agent measures and grows its data '
                    'volume.'),
    cfg.StrOpt('directory_volume_size_file',
               help='JSON file {"size": <GB>} giving the size of a '
                    '"directory" data volume (default: volume.json in the '
                    'volume\'s device_path directory). Without either the '
                    'size of the filesystem holding it is reported.'),
]


def register_opts(conf):
    conf.register_opts(guest_engine_opts)


def list_opts():
    return {'DEFAULT': guest_engine_opts}
