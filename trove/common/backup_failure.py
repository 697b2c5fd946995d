"""How a failed backup tells its user why.

Upstream's backups table has no column for a failure message, so the
reason is appended to the backup's ``description`` (the wire shape stays
upstream's; doc/compatibility.md says so). Used by the guest agent and
the taskmanager: no control-plane imports here.
"""

MAX_DESCRIPTION = 512
PREFIX = 'Backup failed: '
SEPARATOR = ' | '


def failed_description(description, reason):
    """``description`` with the failure reason, within the column size."""
    reason = ' '.join(str(reason).split()) or 'unknown error'
    text = PREFIX + reason
    if description:
        keep = MAX_DESCRIPTION - len(SEPARATOR) - len(text)
        if keep > 0:
            text = description[:keep] + SEPARATOR + text
    if len(text) > MAX_DESCRIPTION:
        text = text[:MAX_DESCRIPTION - 3] + '...'
    return text


def failure_reason(description):
    """The reason recorded by ``failed_description``, or None."""
    if description and PREFIX in description:
        return description.rsplit(PREFIX, 1)[1]
    return None
