"""Parameter rules read from the engines themselves (see
tools/generate_parameter_rules.py, whose docstring states the curation).

A ``Variable`` is what an engine says about one settable variable; the
per-engine modules turn its catalogue into Variables, classify them and
check that the engine accepts them in a configuration file; ``curate``
keeps those a tenant may set. Used by the generator script and by the
tests that hold the committed rules against running engines.
"""

import dataclasses
import json
import os

@dataclasses.dataclass
class Variable:
    """What the engine says about one settable variable."""

    name: str
    kind: str                   # integer|float|boolean|string
    restart_required: bool
    klass: str                  # the class the curation decides on
    min: object = None
    max: object = None
    allowed_values: list | None = None
    multiple: bool = False
    current: object = None      # current value, for the file check

    def rule(self):
        rule = {'name': self.name,
                'restart_required': self.restart_required,
                'type': self.kind}
        if self.min is not None:
            rule['min'] = self.min
        if self.max is not None:
            rule['max'] = self.max
        if self.allowed_values:
            rule['allowed_values'] = list(self.allowed_values)
            if self.multiple:
                rule['multiple'] = True
        return rule


def number(text, kind):
    if text is None or text == '':
        return None
    return float(text) if kind == 'float' else int(text)


def curate(variables, denied_classes, excluded):
    """The variables a tenant may set: allowed class, not excluded."""
    return [v for v in variables
            if v.klass not in denied_classes and v.name not in excluded]


def rules_document(engine, version, kept, rejected):
    """The validation-rules JSON of the kept variables (those the engine
    refused in a configuration file left out)."""
    rules = [v.rule() for v in kept if v.name not in rejected]
    return {'configuration-parameters': rules, 'engine': engine,
            'engine_version': version}


def write_rules(output_dir, datastore, document):
    directory = os.path.join(output_dir, datastore)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'validation-rules.json')
    with open(path, 'w') as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.write('\n')
    return path
