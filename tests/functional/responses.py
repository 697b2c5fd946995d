"""Reading WebOb responses of the in-process API in functional tests."""


def ok(response, status=200):
    """The JSON body (None when empty) of a response that must have
    ``status``."""
    assert response.status_int == status, response.body
    return response.json if response.body else None


def fault(response, code):
    """(fault name, message) of a Trove fault body that must carry
    ``code`` both as the HTTP status and in the body."""
    assert response.status_int == code, response.body
    [(name, details)] = response.json.items()
    assert details['code'] == code
    return name, details['message']
