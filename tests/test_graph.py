"""Drawings: DOT text without graphviz's programs, real renderings with the real ``dot``."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from alexafsm import amazon_intent
from alexafsm.tools.graph import ANY_STATE
from alexafsm.tools.graph import LARGE_GRAPH_EDGES
from alexafsm.tools.graph import GraphError
from alexafsm.tools.graph import render
from alexafsm.tools.graph import to_dot
from alexafsm.utils import graph
from tests.fixtures import skillsearch011
from tests.fixtures.broken import base
from tests.fixtures.broken import unknown_dest

REPO = Path(__file__).resolve().parents[1]
EDGE = re.compile(r'^\t("?)(?P<source>[^"\s]+)\1 -> (?P<dest>\S+) \[(?P<attrs>.*)\]$', re.M)
SVG = '{http://www.w3.org/2000/svg}'


def edges(dot: str) -> list:
    return [(m['source'], m['dest'], m['attrs']) for m in EDGE.finditer(dot)]


def declared_from_any(states_cls) -> list:
    return [t for _, t in states_cls.declared_transitions() if t['source'] == '*']


def label(attrs: str) -> str:
    return re.search(r'label="([^"]*)"', attrs).group(1)


def test_transitions_from_any_state_are_drawn_once_from_one_node():
    found = edges(to_dot(skillsearch011.Policy))
    starred = declared_from_any(skillsearch011.States)
    from_any = [(dest, label(attrs)) for source, dest, attrs in found if source == ANY_STATE]
    assert len(from_any) == len(starred) == 12
    assert sorted(d for d, _ in from_any) == sorted(t['dest'] for t in starred)
    assert ('helping', 'AMAZON.HelpIntent') in from_any
    assert not [e for e in found if e[1] == 'helping' and e[0] != ANY_STATE]
    explicit = sum(len(t['source']) if isinstance(t['source'], list) else 1
                   for _, t in skillsearch011.States.declared_transitions()
                   if t['source'] != '*')
    assert len(found) == len(starred) + explicit


def test_edges_read_trigger_conditions_and_negated_unless():
    labels = {label(attrs) for _, _, attrs in edges(to_dot(skillsearch011.Policy))}
    assert r'NthSkill\n[m_has_nth]' in labels
    assert r'NthSkill\n[!m_has_nth]' in labels
    assert r'AMAZON.NoIntent\n[!m_has_next]' in labels
    assert 'AMAZON.YesIntent' in labels


def test_initial_and_ending_states_stand_out():
    dot = to_dot(base.Policy)
    assert re.search(r'^\tinitial \[.*peripheries=2.*\]$', dot, re.M)
    assert re.search(r'^\texiting \[.*shape=doubleoctagon.*\]$', dot, re.M)
    assert re.search(r'^\tordered$', dot, re.M)
    as_ending = to_dot(base.Policy, ending_states=['ordered'])
    assert re.search(r'^\tordered \[.*doubleoctagon.*\]$', as_ending, re.M)


def test_a_dest_that_is_no_state_is_drawn_in_red():
    dot = to_dot(unknown_dest.Policy)
    assert re.search(r'^\texitting \[label="exitting\\n\(not a state\)" color=red', dot, re.M)


def test_usage_counts_label_used_edges_and_grey_the_rest():
    usage = {('initial', amazon_intent.HELP, 'helping'): 2,
             ('ordered', amazon_intent.HELP, 'helping'): 3,
             ('ordered', amazon_intent.YES, 'which_food'): 1,
             ('initial', 'OrderIntent', 'ordered'): 4,
             ('helping', 'OrderIntent', 'ordered'): 0,
             ('gone', 'OldIntent', 'ordered'): 9}
    dot = to_dot(base.Policy, usage)
    by_label = {label(attrs): (source, dest, attrs) for source, dest, attrs in edges(dot)}
    assert by_label[r'AMAZON.HelpIntent\n(5)'][:2] == (ANY_STATE, 'helping')
    assert by_label[r'OrderIntent\n[m_has_food]\n(4)'][:2] == (ANY_STATE, 'ordered')
    assert by_label[r'AMAZON.YesIntent\n(1)'][:2] == ('ordered', 'which_food')
    unused = [attrs for attrs in (a for _, _, a in edges(dot)) if r'\n(0)' in label(attrs)]
    assert len(unused) == len(edges(dot)) - 3
    assert all('color="#bbbbbb"' in attrs for attrs in unused)
    assert re.search(r'^\texiting \[.*color="#bbbbbb"', dot, re.M)  # never entered
    for entered in ('ordered', 'which_food', 'helping'):
        assert re.search(rf'^\t{entered}$', dot, re.M)


def test_svg_png_and_pdf_come_from_the_real_dot(tmp_path):
    svg = render(skillsearch011.Policy, tmp_path / 'fsm.svg')
    root = ET.parse(svg).getroot()
    titles = {g.get('class'): [] for g in root.iter(f'{SVG}g')}
    for g in root.iter(f'{SVG}g'):
        titles[g.get('class')].append(g.find(f'{SVG}title').text)
    states = set(skillsearch011.Policy.initialize().fsm.states)
    assert set(titles['node']) == states | {ANY_STATE}
    from_any = [t for t in titles['edge'] if t.startswith(f'{ANY_STATE}->')]
    assert len(from_any) == len(declared_from_any(skillsearch011.States))
    assert any(t.text == 'any state' for t in root.iter(f'{SVG}text'))
    assert (tmp_path / 'fsm.png').exists() is False
    graph(skillsearch011.Policy, tmp_path / 'fsm.png')
    assert (tmp_path / 'fsm.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert render(base.Policy, tmp_path / 'fsm.pdf').read_bytes()[:5] == b'%PDF-'


def test_dot_and_gv_files_hold_the_dot_text(tmp_path):
    for name in ('fsm.dot', 'fsm.GV'):
        assert render(base.Policy, tmp_path / name).read_text() == to_dot(base.Policy)


def test_an_unknown_suffix_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(GraphError, match=r"give the file one of the suffixes .dot, .gv, .svg"):
        render(base.Policy, tmp_path / 'fsm.jpeg')
    assert list(tmp_path.iterdir()) == []


def test_dot_text_needs_no_graphviz_program(tmp_path):
    script = f"""
import sys
from alexafsm.tools.graph import GraphError, render, to_dot
from tests.fixtures.broken.base import Policy
render(Policy, {str(tmp_path / 'fsm.dot')!r})
sys.stdout.write(to_dot(Policy))
try:
    render(Policy, {str(tmp_path / 'fsm.svg')!r})
except GraphError as error:
    sys.stderr.write(str(error))
"""
    empty = tmp_path / 'bin'
    empty.mkdir()
    env = {**os.environ, 'PATH': str(empty), 'PYTHONPATH': str(REPO)}
    done = subprocess.run([sys.executable, '-c', script], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == to_dot(base.Policy)
    assert (tmp_path / 'fsm.dot').read_text() == done.stdout
    assert "needs graphviz's 'dot' program, which is not on PATH" in done.stderr
    assert 'apt-get install graphviz' in done.stderr
    assert not (tmp_path / 'fsm.svg').exists()


def test_big_machines_get_a_layout_dot_can_afford(tmp_path):
    from benchmarks.tools import generate
    big, _ = generate(60, 400)
    dot = to_dot(big)
    assert len(edges(dot)) > LARGE_GRAPH_EDGES
    assert re.search(r'^\tgraph \[.*splines=false', dot, re.M)
    assert 'splines' not in to_dot(skillsearch011.Policy)
    svg = render(big, tmp_path / 'big.svg')  # the default layout would take most of a minute
    nodes = [g for g in ET.parse(svg).getroot().iter(f'{SVG}g') if g.get('class') == 'node']
    assert len(nodes) == 60 + 1  # and "any state"


def test_element_ids_name_every_state_and_drawn_edge_in_the_svg():
    """The console lights up the drawing by these ids; without them the drawing is as before."""
    from alexafsm.tools.describe import machine_of
    from alexafsm.tools.graph import digraph
    from alexafsm.tools.graph import drawn_edges
    from alexafsm.tools.graph import edge_id
    from alexafsm.tools.graph import edge_key
    from alexafsm.tools.graph import node_id

    plain = digraph(skillsearch011.Policy)
    assert 'id=' not in plain.source and plain.source == to_dot(skillsearch011.Policy)
    root = ET.fromstring(digraph(skillsearch011.Policy, element_ids=True).pipe(format='svg'))
    by_id = {g.get('id'): g.find(f'{SVG}title').text for g in root.iter(f'{SVG}g')
             if g.get('class') in ('node', 'edge')}
    fsm = machine_of(skillsearch011.Policy)
    for state in fsm.states:
        assert by_id[node_id(state)] == state
    edges_drawn = drawn_edges(fsm)
    assert len(edges_drawn) == len([k for k in by_id if k.startswith('edge:')])
    for index, t in enumerate(edges_drawn):
        assert by_id[edge_id(index)] == f'{t.source}->{t.dest}'
    wildcard = next(t for t in fsm.transitions if t.from_any_state)
    assert edge_key(wildcard).source == ANY_STATE and edge_key(wildcard) in edges_drawn
