"""The context a thread's log lines carry (trove.common.context)."""

import threading

from trove.common import context


def _in_thread(function):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(function()))
    thread.start()
    thread.join()
    return seen[0]


def test_a_request_context_replaces_the_one_stored_before():
    first = context.TroveContext(request_id='req-first')
    assert context.current() is first
    second = context.TroveContext(request_id='req-second')
    assert context.current() is second
    context.store_current(None)
    assert context.current() is None
    context.store_current(None)     # nothing stored: still fine


def test_a_new_thread_has_no_context_until_one_is_stored():
    context.TroveContext(request_id='req-caller')
    assert _in_thread(context.current) is None
    context.store_current(None)


def test_bound_functions_run_with_the_callers_context_and_leave_none():
    caller = context.TroveContext(request_id='req-caller')
    bound = context.bound_to_current(
        lambda: (context.current(), threading.current_thread().name))
    other = context.TroveContext(request_id='req-later', overwrite=False)
    assert context.current() is caller and other is not caller
    seen, _name = _in_thread(bound)
    assert seen is caller
    context.store_current(None)


def test_bound_function_clears_the_thread_after_running():
    context.TroveContext(request_id='req-caller')
    bound = context.bound_to_current(lambda: None)
    context.store_current(None)
    assert _in_thread(lambda: (bound(), context.current())[1]) is None


def test_the_admin_context_keeps_a_stored_request_context():
    caller = context.TroveContext(request_id='req-caller')
    context.get_admin_context()
    assert context.current() is caller
    context.store_current(None)
