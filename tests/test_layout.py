"""The layout's first rule: the core depends on nothing around it.

Hosting, tools, testing, persistence and analytics depend on the core, never the reverse, so a
skill on AWS Lambda loads neither Flask nor the tools, and each layer can change without the
core noticing. Checked on the import graph a fresh interpreter actually builds.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# 0.1.11's alexafsm.utils and alexafsm.test_helpers are left out: they re-export tools by design.
CORE = ('alexafsm', 'alexafsm.policy', 'alexafsm.states', 'alexafsm.session_attributes',
        'alexafsm.response', 'alexafsm.request', 'alexafsm.machine', 'alexafsm.amazon_intent',
        'alexafsm.make_json_serializable')
AROUND = ('alexafsm.hosting', 'alexafsm.testing', 'alexafsm.persistence', 'alexafsm.analytics',
          'alexafsm.cli', 'alexafsm.tools')
HEAVY = ('flask', 'click', 'werkzeug', 'cryptography', 'redis', 'yaml', 'graphviz', 'voicelabs')


def loaded_after_importing(module):
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout))


def test_the_core_loads_nothing_of_the_layers_around_it():
    for module in CORE:
        loaded = loaded_after_importing(module)
        assert module in loaded
        wrong = sorted(m for m in loaded
                       if m.startswith(AROUND) or m.split('.')[0] in HEAVY)
        assert wrong == [], f"importing {module} loads {wrong}"


def test_the_check_sees_a_layer_when_one_is_imported():
    loaded = loaded_after_importing('alexafsm.hosting.flask_app')
    assert any(m.startswith('alexafsm.hosting') for m in loaded) and 'flask' in loaded
