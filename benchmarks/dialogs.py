"""What a digression costs: a session with pushes and resumes against the same session flat.

Two versions of one small skill answer the same seven-turn session (launch, a task, help, yes,
two more tasks, and help again: one push resumed, one left open) with the same words: one
declares help as a push and "yes" as ``'dest': RESUME`` (alexafsm.dialogs), the other as plain
transitions back to a fixed state.
Both run the whole request path (json.loads, Policy.initialize().handle, the JSON text), in
interleaved rounds, and the median of the rounds' ratios is printed (target: within 10%, issue
12). Rounds are timed in CPU time of this process (``time.process_time``), which a busy shared
machine disturbs far less than wall time; the two sides alternate, so what remains cancels:

    .venv/bin/python benchmarks/dialogs.py [--seconds 2]
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alexafsm import amazon_intent  # noqa: E402
from alexafsm.dialogs import RESUME  # noqa: E402
from alexafsm.policy import Policy  # noqa: E402
from alexafsm.response import Response  # noqa: E402
from alexafsm.states import States  # noqa: E402
from alexafsm.states import with_transitions  # noqa: E402

HELP, YES = amazon_intent.HELP, amazon_intent.YES


def skill(digressions):
    """The skill, with help as a push and yes as a resume, or both as plain transitions."""
    to_help = {'trigger': HELP, 'source': '*', 'push': True} if digressions else \
        {'trigger': HELP, 'source': '*'}
    back = {'trigger': YES, 'dest': RESUME, 'otherwise': 'a'} if digressions else \
        {'trigger': YES, 'dest': 'a'}

    class BenchStates(States):
        @with_transitions({'trigger': 'GoA', 'source': '*'})
        def a(self):
            return Response(speech='Task a. What next?', reprompt='What next?')

        @with_transitions({'trigger': 'GoB', 'source': '*'})
        def b(self):
            return Response(speech='Task b. What next?', reprompt='What next?')

        @with_transitions(to_help, back)
        def helping(self):
            return Response(speech='Say a or b. Shall we go on?', reprompt='Go on?')

        def initial(self):
            return Response(speech='Welcome.', reprompt='Say a or b.')

    return type('BenchPolicy', (Policy,), {'states_cls': BenchStates})


SCRIPT = [None, 'GoA', HELP, YES, 'GoB', 'GoA', HELP]


def session(policy_cls):
    """The session's request texts, each turn carrying the previous turn's attributes."""
    texts, attributes = [], {}
    for turn, intent in enumerate(SCRIPT):
        body = {'type': 'LaunchRequest' if intent is None else 'IntentRequest',
                'requestId': f'amzn1.echo-api.request.{turn}', 'locale': 'en-US',
                'timestamp': '2026-11-21T00:00:00Z'}
        if intent:
            body['intent'] = {'name': intent, 'confirmationStatus': 'NONE', 'slots': {}}
        request = {'version': '1.0', 'session': {
            'new': intent is None, 'sessionId': 'amzn1.echo-api.session.1',
            'application': {'applicationId': 'amzn1.ask.skill.bench'},
            'user': {'userId': 'amzn1.ask.account.bench'}, 'attributes': attributes},
            'context': {'System': {'application': {'applicationId': 'amzn1.ask.skill.bench'},
                                   'user': {'userId': 'amzn1.ask.account.bench'},
                                   'device': {'deviceId': 'bench'}}},
            'request': body}
        text = json.dumps(request)
        out = json.loads(policy_cls.initialize().handle(json.loads(text)).text)
        texts.append(text)
        attributes = out.get('sessionAttributes', {})
    return texts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=2.0)
    args = parser.parse_args()
    sides = {'flat': skill(False), 'push/resume': skill(True)}
    texts = {name: session(policy_cls) for name, policy_cls in sides.items()}
    assert '"alexafsm"' in ''.join(texts['push/resume']) and \
        '"alexafsm"' not in ''.join(texts['flat'])

    def timed(name, passes):
        policy_cls, requests = sides[name], texts[name]
        start = time.process_time()
        for _ in range(passes):
            for text in requests:
                policy_cls.initialize().handle(json.loads(text))
        return (time.process_time() - start) / passes / len(requests) * 1e6

    rounds = 10
    passes = max(1, int(args.seconds / rounds / 2 / max(timed('flat', 1) * len(SCRIPT) / 1e6,
                                                        1e-9)))
    each = {name: [] for name in sides}
    for _ in range(rounds):
        for name in sides:
            each[name].append(timed(name, passes))
    ratios = [d / f for d, f in zip(each['push/resume'], each['flat'])]
    print(f"a session of {len(SCRIPT)} turns, two of them pushes and one a resume:")
    for name in sides:
        print(f"  {name:<12} {min(each[name]):6.1f} us/request")
    print(f"  push/resume against flat: {statistics.median(ratios):.3f} "
          f"(median of {rounds} paired rounds; target <= 1.10)")


if __name__ == '__main__':
    main()
