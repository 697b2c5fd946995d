"""Pipelines of backup tools: output streams through, the failing command
is named with its own error output (not the one that died of SIGPIPE),
and the deadline kills everything."""

import pytest

from trove.guestagent.backup import pipeline


def chain(tmp_path, *commands, **kwargs):
    return pipeline.ProcessChain(
        [pipeline.Command(list(c)) for c in commands],
        str(tmp_path / 'logs'), kwargs.pop('timeout', 30), **kwargs).start()


def test_output_streams_through_every_command(tmp_path):
    running = chain(tmp_path, ['printf', 'hello world'], ['tr', 'a-z',
                                                          'A-Z'])
    assert running.stdout.read() == b'HELLO WORLD'
    running.wait()


def test_input_is_fed_to_the_first_command(tmp_path):
    target = tmp_path / 'out'
    running = chain(tmp_path, ['gzip', '-c'], ['sh', '-c', 'gzip -dc > %s'
                                               % target],
                    feed=True, read=False)
    running.stdin.write(b'x' * 100000)
    running.wait()
    assert target.read_bytes() == b'x' * 100000


def test_the_command_that_failed_is_named(tmp_path):
    running = chain(tmp_path, ['sh', '-c', 'yes'],
                    ['sh', '-c', 'head -c 10 >/dev/null; '
                     'echo "disk is full" >&2; exit 3'])
    running.stdout.read()
    with pytest.raises(pipeline.PipelineError) as failed:
        running.wait()
    assert failed.value.message == 'sh exited with status 3: disk is full'
    assert '$ sh -c yes' in failed.value.details


def test_secrets_stay_out_of_messages(tmp_path):
    command = pipeline.Command(['sh', '-c', 'echo "bad password s3cret" >&2;'
                                ' exit 1', 's3cret'], secret='s3cret')
    running = pipeline.ProcessChain([command], str(tmp_path), 30).start()
    running.stdout.read()
    with pytest.raises(pipeline.PipelineError) as failed:
        running.wait()
    assert 's3cret' not in failed.value.message
    assert 's3cret' not in failed.value.details


def test_the_deadline_kills_the_chain(tmp_path):
    running = chain(tmp_path, ['sleep', '30'], ['cat'], timeout=0.5)
    running.stdout.read()
    with pytest.raises(pipeline.PipelineError) as failed:
        running.wait()
    assert 'did not finish within 0.5 seconds' in failed.value.message
