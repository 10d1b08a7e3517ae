"""Draw a skill's machine with graphviz, optionally with how often each transition was used.

A transition declared from '*' is drawn once, from an "any state" node: copied onto every state
it would bury the rest of the drawing. Edges read "trigger [condition, !unless]"; the initial
state and the states that end the session stand out. DOT text needs only the ``graphviz``
package; other formats need its ``dot`` program. Machines of more than ``LARGE_GRAPH_EDGES``
edges are laid out with straight edges, which dot can afford at that size.
"""
import os
from pathlib import Path
from typing import Dict
from typing import Iterable
from typing import List
from typing import Mapping
from typing import Optional
from typing import Tuple
from typing import Union

import graphviz

from alexafsm.errors import GraphError
from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.tools.describe import PolicyLike
from alexafsm.tools.describe import condition_labels
from alexafsm.tools.describe import ending_states_of
from alexafsm.tools.describe import machine_of

__all__ = ['render', 'to_dot', 'digraph', 'drawn_edges', 'edge_key', 'node_id', 'edge_id',
           'output_format', 'GraphError', 'Usage', 'ANY_STATE', 'TEXT_FORMATS', 'IMAGE_FORMATS',
           'LARGE_GRAPH_EDGES']

ANY_STATE = '*'  # the node transitions declared from '*' start at
TEXT_FORMATS = ('dot', 'gv')
IMAGE_FORMATS = ('svg', 'png', 'pdf')

Usage = Mapping[Tuple[str, str, str], int]  # (source, trigger, dest) -> times used

_STATE = {'shape': 'box', 'style': 'rounded', 'fontname': 'Helvetica'}
_INITIAL = {'style': 'rounded,filled,bold', 'fillcolor': '#cfe3ff', 'peripheries': '2'}
_ENDING = {'shape': 'doubleoctagon', 'style': 'filled', 'fillcolor': '#ffd9d9'}
_ANY = {'label': 'any state', 'shape': 'box', 'style': 'dashed,rounded', 'color': '#777777',
        'fontcolor': '#555555'}
_NOT_A_STATE = {'color': 'red', 'fontcolor': 'red', 'style': 'dashed'}
_UNUSED = {'color': '#bbbbbb', 'fontcolor': '#aaaaaa'}
# dot's default layout takes seconds at 250 edges and minutes at 400: bigger machines get
# straight edges and capped optimisation, which lay out 400 edges in under a second.
LARGE_GRAPH_EDGES = 200
_QUICK_LAYOUT = {'nslimit': '0.5', 'nslimit1': '0.5', 'mclimit': '0.01', 'splines': 'false'}


def edge_key(t: Transition) -> Transition:
    """The drawn edge a transition belongs to: expanded '*' transitions share one edge, every
    other one is its own; so a tool can tell which edge of the drawing a fired transition is."""
    return t._replace(source=ANY_STATE) if t.from_any_state else t


def drawn_edges(fsm: Machine) -> List[Transition]:
    """The edges of the drawing in the order they are drawn, each given by its ``edge_key``."""
    return list(dict.fromkeys(edge_key(t) for t in fsm.transitions))


def node_id(state: str) -> str:
    """The SVG element id of a state's node when drawn with ``element_ids``."""
    return f'state:{state}'


def edge_id(index: int) -> str:
    """The SVG element id of the ``index``-th of ``drawn_edges`` when drawn with ``element_ids``."""
    return f'edge:{index}'


def _attributed(fsm: Machine, usage: Usage) -> Dict[Transition, int]:
    """Give each recorded (source, trigger, dest) to one transition, so no use counts twice.

    A recording does not say which candidate fired; when several lead from the same source to
    the same dest on the same trigger, the count goes to the first, which is tried first.
    """
    counts: Dict[Transition, int] = {}
    for (source, trigger, dest), n in usage.items():
        match = next((t for t in fsm.candidates(trigger, source) if t.dest == dest), None)
        if match is not None and n:
            key = edge_key(match)
            counts[key] = counts.get(key, 0) + n
    return counts


def _label(t: Transition, count: Optional[int]) -> str:
    guard = condition_labels(t)
    label = t.trigger + (f"\\n[{', '.join(guard)}]" if guard else '')
    return label if count is None else f"{label}\\n({count})"


def digraph(policy: PolicyLike, usage: Optional[Usage] = None,
            ending_states: Optional[Iterable[str]] = None, *,
            element_ids: bool = False) -> graphviz.Digraph:
    """The drawing as a ``graphviz.Digraph``, for callers that style or render it themselves.

    ``element_ids`` gives every node and edge an id (``node_id``, ``edge_id``), which SVG output
    keeps, so a page can light up a state or a transition of the same drawing.
    """
    fsm = machine_of(policy)
    ends = ending_states_of(fsm.states_cls, ending_states)
    edges = drawn_edges(fsm)
    used = _attributed(fsm, usage) if usage is not None else None
    visited = {INITIAL_STATE} | {t.dest for t, n in (used or {}).items() if n}

    layout = {'rankdir': 'LR', **(_QUICK_LAYOUT if len(edges) > LARGE_GRAPH_EDGES else {})}
    dot = graphviz.Digraph(fsm.policy_cls.__name__, graph_attr=layout,
                           node_attr=_STATE, edge_attr={'fontname': 'Helvetica',
                                                        'fontsize': '10'})
    for state in fsm.states:
        attrs = dict(_INITIAL if state == INITIAL_STATE else _ENDING if state in ends else {})
        if used is not None and state not in visited:
            attrs.update(_UNUSED)
        if element_ids:
            attrs['id'] = node_id(state)
        dot.node(state, **attrs)
    if any(t.source == ANY_STATE for t in edges):
        dot.node(ANY_STATE, **_ANY)
    for name in sorted({t.dest for t in edges} - fsm.state_set):
        dot.node(name, label=f"{name}\\n(not a state)", **_NOT_A_STATE)
    for index, t in enumerate(edges):
        count = None if used is None else used.get(t, 0)
        attrs = {} if count is None else _UNUSED if count == 0 else {'penwidth': '2'}
        if t.source not in fsm.state_set and t.source != ANY_STATE:
            attrs = dict(_NOT_A_STATE)
        if element_ids:
            attrs = {**attrs, 'id': edge_id(index)}
        dot.edge(t.source, t.dest, label=_label(t, count), **attrs)
    return dot


def to_dot(policy: PolicyLike, usage: Optional[Usage] = None,
           ending_states: Optional[Iterable[str]] = None) -> str:
    """The DOT text of the drawing; needs no graphviz program, so it works in any CI image.

    ``usage`` maps (source, trigger, dest) to how often recordings used it: used edges show
    their count, unused ones and never-entered states are greyed.
    """
    return digraph(policy, usage, ending_states).source


def output_format(path: Union[str, 'Path']) -> str:
    """The format a file's suffix asks for; checked before any work so a typo fails fast."""
    fmt = Path(path).suffix[1:].lower()
    if fmt not in TEXT_FORMATS + IMAGE_FORMATS:
        raise GraphError(f"cannot draw to '{path}': give the file one of the suffixes "
                         f"{', '.join('.' + f for f in TEXT_FORMATS + IMAGE_FORMATS)}")
    return fmt


def render(policy: PolicyLike, path: Union[str, 'os.PathLike[str]'], usage: Optional[Usage] = None,
           ending_states: Optional[Iterable[str]] = None) -> Path:
    """Write the drawing to ``path`` in the format its suffix names (.dot .gv .svg .png .pdf)."""
    path = Path(path)
    fmt = output_format(path)
    dot = digraph(policy, usage, ending_states)
    if fmt in TEXT_FORMATS:
        path.write_text(dot.source, encoding='utf-8')
        return path
    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphError(f"drawing '{path}' needs graphviz's 'dot' program, which is not on "
                         f"PATH: install graphviz (apt-get install graphviz, brew install "
                         f"graphviz), or write a .dot file instead") from None
    except graphviz.CalledProcessError as error:
        raise GraphError(f"graphviz's 'dot' failed drawing '{path}': "
                         f"{(error.stderr or b'').decode(errors='replace').strip()}") from None
    path.write_bytes(data)
    return path
