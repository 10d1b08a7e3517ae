"""How fast and how deep ``alexafsm fuzz`` goes: sessions/s, turns/s, transitions, depth.

Runs the fuzzer on the two example skills, the clean Fruit Trivia fixture and its copy with a
crash planted eight specific turns deep (tests/fixtures/fuzzing/deep_trivia.py), over several
seeds, and prints per skill:
  sessions/s, turns/s   throughput of the walk (reduction afterwards is timed apart)
  transitions           declared transitions (trigger, source, dest) some turn took, of all
  depth                 how many sessions had how many turns
  found                 for the planted bug: the session it was first seen in (per seed),
                        and the length of the reduced session

Coverage is measured here, by replaying every walked session in a fresh conversation and
noting each turn's (state before, intent, state after), so the figures mean the same for any
version of the fuzzer. Timings vary with the machine; compare runs made on one machine.

    .venv/bin/python benchmarks/fuzzing.py [--sessions 2000] [--seeds 0,1,2] [--skill NAME]
"""
import argparse
import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import Set
from typing import Tuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alexafsm.extensions import Extensions  # noqa: E402
from alexafsm.persistence import MemoryStore  # noqa: E402
from alexafsm.request import INTENT  # noqa: E402
from alexafsm.request import parse  # noqa: E402
from alexafsm.testing.conversation import Conversation  # noqa: E402
from alexafsm.testing.conversation import ConversationError  # noqa: E402
from alexafsm.testing.fuzz import fuzz  # noqa: E402
from alexafsm.tools.describe import machine_of  # noqa: E402
from alexafsm.tools.interaction_model import load_model  # noqa: E402

FIXTURES = ROOT / 'tests' / 'fixtures' / 'fuzzing'
SKILLS = {
    'skillsearch': ('skills.skillsearch:SkillSearchPolicy',
                    ROOT / 'skills' / 'skillsearch' / 'model' / 'en-US.json'),
    'pizza': ('skills.pizza:PizzaPolicy', ROOT / 'skills' / 'pizza' / 'model' / 'en-US.json'),
    'trivia': ('tests.fixtures.fuzzing.trivia:TriviaPolicy', FIXTURES / 'trivia.json'),
    'deep_trivia': ('tests.fixtures.fuzzing.deep_trivia:DeepTriviaPolicy',
                    FIXTURES / 'trivia.json'),
}


def load(spec: str) -> Any:
    """The Policy class a 'module:Class' spec names."""
    from alexafsm.loader import load_policy
    return load_policy(spec)


def conversation(policy_cls: Any, model: Any) -> Conversation:
    """A conversation that hears the apology rather than raising, in any version."""
    try:
        return Conversation(policy_cls, model=model, store='memory://',
                            apologize=True)  # type: ignore[call-arg]
    except TypeError:  # before the apologize option
        return Conversation(policy_cls, model=model, store='memory://')


def fired(policy_cls: Any, model: Any, walks: List[Tuple[Any, ...]]) -> Set[Tuple[str, str, str]]:
    """The declared transitions the walked sessions took, found by replaying them."""
    machine = machine_of(policy_cls)
    declared = {(t.trigger, t.source, t.dest) for t in machine.transitions}
    taken: Set[Tuple[str, str, str]] = set()
    for walk in walks:
        chat = conversation(policy_cls, model)
        for step in walk:
            before = chat.attributes.get('state', 'initial') if chat.in_session else 'initial'
            try:
                turn = step.perform(chat)
            except ConversationError:
                break
            request = parse(turn.request)
            if request.type == INTENT and turn.state is not None:
                triple = (request.intent_name or '', before, turn.state)
                if triple in declared:
                    taken.add(triple)
    return taken


def run(name: str, sessions: int, seeds: List[int], max_turns: int) -> None:
    """Fuzz one skill once per seed and print its figures."""
    spec, model_path = SKILLS[name]
    policy_cls = load(spec)
    if name in ('skillsearch', 'pizza'):  # their embedded SQLite file stays untouched
        policy_cls.extensions = Extensions(store=MemoryStore())
    model = load_model(model_path)
    declared = {(t.trigger, t.source, t.dest) for t in machine_of(policy_cls).transitions}
    elapsed = turns = walked = 0.0
    depth: Dict[int, int] = Counter()
    taken: Set[Tuple[str, str, str]] = set()
    found: List[str] = []
    for seed in seeds:
        started = time.perf_counter()
        report = fuzz(policy_cls, model, sessions=sessions, seed=seed, max_turns=max_turns,
                      skill=spec)
        total = time.perf_counter() - started
        elapsed += report.elapsed
        turns += report.turns
        walked += report.sessions
        depth.update(len(walk) for walk in report.walks)
        taken |= fired(policy_cls, model, report.walks)
        if report.findings:
            finding = report.findings[0]
            found.append(f'seed {seed}: session {finding.session}, reduced to '
                         f'{len(finding.reduction.steps)} turns ({total:.1f} s in all)')
        elif name == 'deep_trivia':
            found.append(f'seed {seed}: not found in {sessions} sessions')
    print(f'{name}: {len(seeds)} seeds x {sessions} sessions, up to {max_turns} turns')
    print(f'  {walked / elapsed:10,.0f} sessions/s   {turns / elapsed:10,.0f} turns/s   '
          f'{turns / walked:5.1f} turns/session')
    print(f'  transitions {len(taken)} of {len(declared)} declared')
    width = max(depth.values())
    for length in sorted(depth):
        bar = '#' * max(1, round(40 * depth[length] / width))
        print(f'  depth {length:3d}: {depth[length]:7,d} {bar}')
    for line in found:
        print(f'  found {line}')


def main() -> None:
    """Parse the options and run each chosen skill."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sessions', type=int, default=2000)
    parser.add_argument('--seeds', default='0,1,2')
    parser.add_argument('--max-turns', type=int, default=20)
    parser.add_argument('--skill', action='append', choices=sorted(SKILLS))
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the replays' log lines (the crash, ...) are noise here
    seeds = [int(seed) for seed in args.seeds.split(',')]
    for name in args.skill or list(SKILLS):
        run(name, args.sessions, seeds, args.max_turns)


if __name__ == '__main__':
    main()
