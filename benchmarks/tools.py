"""How long the CI tools take on a big machine: 300 states, 3,000 declared transitions.

The FSM is generated (a States class built with ``type()`` and ``with_transitions``, a Policy
with the condition methods, an interaction model of its intents), seeded so every run draws the
same one. Target: validate under a second. DOT text takes milliseconds; graphviz's dot takes
most of a minute to lay out 3,000 labelled edges even with the quick layout graph.py picks for
big machines, so a 60-state machine is rendered too, as the size real skills reach.

    .venv/bin/python benchmarks/tools.py [--states 300] [--transitions 3000] [--no-render]
"""
import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Tuple

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from alexafsm import amazon_intent  # noqa: E402
from alexafsm import response  # noqa: E402
from alexafsm.machine import Machine  # noqa: E402
from alexafsm.policy import Policy  # noqa: E402
from alexafsm.states import States  # noqa: E402
from alexafsm.states import with_transitions  # noqa: E402
from alexafsm.tools.describe import describe  # noqa: E402
from alexafsm.tools.describe import machine_text  # noqa: E402
from alexafsm.tools.graph import render  # noqa: E402
from alexafsm.tools.graph import to_dot  # noqa: E402
from alexafsm.tools.interaction_model import Intent  # noqa: E402
from alexafsm.tools.interaction_model import InteractionModel  # noqa: E402
from alexafsm.tools.validation import counts  # noqa: E402
from alexafsm.tools.validation import validate_policy  # noqa: E402

INTENTS = 40
CONDITIONS = 30
FROM_ANY = ({'trigger': amazon_intent.HELP, 'source': '*'},
            {'trigger': amazon_intent.STOP, 'source': '*'},
            {'trigger': amazon_intent.CANCEL, 'source': '*'})


def _state(name: str) -> Callable[[Any], response.Response]:
    def answer(self: Any) -> response.Response:
        return response.Response(speech=name, reprompt=name)
    answer.__name__ = name
    return answer


def generate(states: int, transitions: int, seed: int = 7) -> Tuple[type, InteractionModel]:
    """A connected machine: Help, Stop and Cancel from '*', the rest from one state each.

    Every state gets an inbound transition from an earlier one, so all are reachable; most
    transitions carry a condition or an ``unless``, as real skills' do.
    """
    rng = random.Random(seed)
    names = ['initial', 'helping', 'exiting'] + [f"s{i:03d}" for i in range(states - 3)]
    inbound: Dict[str, List[Dict[str, Any]]] = {name: [] for name in names}
    inbound['helping'].append(FROM_ANY[0])
    inbound['exiting'] += FROM_ANY[1:]
    explicit = transitions - len(FROM_ANY)
    for i in range(explicit):
        dest = names[3 + i % (states - 3)] if i < states - 3 else rng.choice(names[3:])
        source = rng.choice(names[:max(3, 3 + i)] if i < states - 3 else names)
        spec: Dict[str, Any] = {'trigger': f"Intent{rng.randrange(INTENTS)}", 'source': source}
        kind = rng.random()
        if kind < 0.6:
            spec['conditions'] = f"m_cond{rng.randrange(CONDITIONS)}"
        elif kind < 0.9:
            spec['unless'] = f"m_cond{rng.randrange(CONDITIONS)}"
        if rng.random() < 0.2:
            spec['after'] = 'm_after'
        inbound[dest].append(spec)
    body: Dict[str, Any] = {name: with_transitions(*specs)(_state(name)) if specs else _state(name)
                            for name, specs in inbound.items()}
    states_cls = type('BigStates', (States,), body)
    methods: Dict[str, Any] = {f"m_cond{k}": (lambda self, k=k: k % 2 == 0)
                               for k in range(CONDITIONS)}
    methods.update(states_cls=states_cls, m_after=lambda self: None)
    policy_cls = type('BigPolicy', (Policy,), methods)
    intents = [f"Intent{k}" for k in range(INTENTS)] + list(amazon_intent.REQUIRED)
    model = InteractionModel('big skill', {n: Intent(n) for n in intents}, {}, '<generated>')
    return policy_cls, model


def timed(what: str, action: Callable[[], Any], repeat: int = 1) -> Any:
    started = time.perf_counter()
    for _ in range(repeat):
        result = action()
    seconds = (time.perf_counter() - started) / repeat
    print(f"{what:<44} {seconds * 1000:9.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--states', type=int, default=300)
    parser.add_argument('--transitions', type=int, default=3000)
    parser.add_argument('--no-render', action='store_true', help="skip graphviz's dot")
    args = parser.parse_args()

    policy_cls, model = timed('generate the skill', lambda: generate(args.states,
                                                                     args.transitions))
    fsm = timed('compile the machine (first use)', lambda: Machine.of(policy_cls))
    print(f"  {len(fsm.states)} states, {len(policy_cls.states_cls.declared_transitions())} "
          f"declared transitions, {len(fsm.transitions)} after expanding '*'")
    findings = timed('validate_policy (machine compiled)',
                     lambda: validate_policy(policy_cls, model), repeat=3)
    print(f"  findings: {counts(findings)}")
    fresh, _ = generate(args.states, args.transitions)
    timed('validate_policy (compiling the machine too)', lambda: validate_policy(fresh, model))
    timed('describe (JSON)', lambda: describe(policy_cls), repeat=3)
    timed('machine_text (0.1.11 printout)', lambda: machine_text(policy_cls), repeat=3)
    dot = timed('to_dot', lambda: to_dot(policy_cls), repeat=3)
    print(f"  {len(dot.splitlines())} lines of DOT")
    if args.no_render:
        return
    mid, _ = generate(60, 400)
    with tempfile.TemporaryDirectory() as folder:
        timed('render 60 states, 400 transitions to SVG',
              lambda: render(mid, Path(folder) / 'mid.svg'))
        svg = timed(f'render {args.states} states, {args.transitions} transitions to SVG',
                    lambda: render(policy_cls, Path(folder) / 'big.svg'))
        print(f"  {svg.stat().st_size // 1024} KiB of SVG")


if __name__ == '__main__':
    main()
