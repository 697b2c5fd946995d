"""Which Glance image a new server boots from.

As upstream: the datastore version's ``image_id`` when it has one,
otherwise the newest active image carrying every one of its
``image_tags``. A missing image is the operator's to fix, so the error
says which datastore version needs which image.

Only reads Glance.
"""

from trove.common import exception


class ImageNotFound(exception.ComputeError):
    message = ('No active image for this datastore version in Glance '
               '(%(wanted)s). Ask the operator to upload one or update the '
               'datastore version.')


def choose_image(sdk, image_id=None, image_tags=()):
    """The id of the image to boot; ImageNotFound when there is none."""
    if image_id:
        image = sdk.image.find_image(image_id, ignore_missing=True)
        if image is None or image.status != 'active':
            raise ImageNotFound(wanted='image %s' % image_id)
        return image.id
    tags = [tag for tag in (image_tags or ()) if tag]
    if not tags:
        raise ImageNotFound(wanted='the version names neither an image nor '
                                   'image tags')
    images = list(sdk.image.images(tag=tags, status='active',
                                   sort='created_at:desc', limit=1))
    if not images:
        raise ImageNotFound(wanted='tags %s' % ', '.join(tags))
    return images[0].id
