"""JSON shape of ``GET /limits``."""


def limits_view(absolute, rates):
    entry = {'verb': 'ABSOLUTE'}
    entry.update(('max_' + resource, limit)
                 for resource, limit in sorted(absolute.items()))
    return [entry] + [rate.to_view() for rate in rates]
