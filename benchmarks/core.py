"""Per-request cost of the core, as ratios measured in one run.

Drives a skill through scripted sessions, attributes round-tripping through JSON as Alexa carries
them, and prints:
  floor     json.loads(request) + json.dumps(response): what any Python endpoint pays
  ours      json.loads + Policy.initialize().handle(request) + json.dumps (0.1.11's usage)
  machine   0.1.11's way: a transitions.Machine built for every request, then fired
and the ratios ours/floor (target <= 2) and machine/ours (target >= 15).

    .venv/bin/python benchmarks/core.py [--skill tests.fixtures.compat_skill:Policy] [--seconds 2]
"""
import argparse
import json
import sys
import time
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transitions import Machine as TransitionsMachine, MachineError  # noqa: E402

from alexafsm import response  # noqa: E402
from alexafsm.machine import state_order  # noqa: E402

SCRIPTS = {
    'tests.fixtures.compat_skill:Policy': [
        ('LaunchRequest', None, {}),
        ('IntentRequest', 'Order', {'food': 'pizza', 'count': '2'}),
        ('IntentRequest', 'Order', {'food': None}),
        ('IntentRequest', 'AMAZON.HelpIntent', {}),
        ('IntentRequest', 'Order', {'food': 'salad', 'count': '1'}),
        ('IntentRequest', 'Unknown', {}),
        ('IntentRequest', 'AMAZON.NoIntent', {}),
    ],
    'skills.skillsearch:Policy': [
        ('LaunchRequest', None, {}),
        ('IntentRequest', 'NewSearch', {'Query': 'order pizza'}),
        ('IntentRequest', 'AMAZON.NoIntent', {}),
        ('IntentRequest', 'NthSkill', {'Nth': 'third'}),
        ('IntentRequest', 'AMAZON.YesIntent', {}),
        ('IntentRequest', 'AMAZON.HelpIntent', {}),
        ('IntentRequest', 'AMAZON.StopIntent', {}),
    ],
}


def load(spec):
    module, _, name = spec.partition(':')
    return getattr(import_module(module), name)


SAMPLES = Path(__file__).resolve().parents[2] / 'shared' / 'alexa-samples' / 'requests'
DEVICE_REQUEST = SAMPLES / 'jovo.DialogDelegateRequest.json'


def device_context():
    """The context of a request captured from a real device, so the floor is a real one.

    Alexa sends the device's context (viewport, audio player, API endpoint and token) with every
    request; a minimal envelope would make the JSON floor, and so every ratio, look rosier.
    """
    if DEVICE_REQUEST.exists():
        return json.loads(DEVICE_REQUEST.read_text())['context']
    return {'System': {'application': {'applicationId': 'amzn1.ask.skill.bench'},
                       'user': {'userId': 'amzn1.ask.account.bench'},
                       'device': {'deviceId': 'amzn1.ask.device.bench'}}}


CONTEXT = device_context()


def envelope(kind, intent, slots, attributes, turn):
    """A real-shaped request, as Alexa would send for this turn."""
    body = {'type': kind, 'requestId': f'amzn1.echo-api.request.{turn}', 'locale': 'en-US',
            'timestamp': '2026-11-21T00:00:00Z'}
    if intent:
        body['intent'] = {'name': intent, 'confirmationStatus': 'NONE',
                          'slots': {k: ({'name': k, 'value': v} if v is not None else {'name': k})
                                    for k, v in slots.items()}}
    return {'version': '1.0',
            'session': {'new': kind == 'LaunchRequest', 'sessionId': 'amzn1.echo-api.session.1',
                        'application': {'applicationId': 'amzn1.ask.skill.bench'},
                        'user': {'userId': 'amzn1.ask.account.bench'}, 'attributes': attributes},
            'context': CONTEXT, 'request': body}


def session_texts(policy_cls, script):
    """The session's request texts and response dicts, each turn fed the previous attributes."""
    texts, responses, attributes = [], [], {}
    for turn, (kind, intent, slots) in enumerate(script):
        text = json.dumps(envelope(kind, intent, slots, attributes, turn))
        out = json.loads(json.dumps(policy_cls.initialize().handle(json.loads(text))))
        texts.append(text)
        responses.append(out)
        attributes = out.get('sessionAttributes', {})
    return texts, responses


class PerRequestMachine:
    """0.1.11's request path: build a transitions.Machine on the policy for every request."""

    def __init__(self, policy_cls):
        self.policy_cls = policy_cls
        self.states_cls = policy_cls.states_cls
        self.names = list(state_order(self.states_cls))
        self.declared = self.states_cls.get_states_transitions()[1]

    def handle(self, request):
        policy = self.policy_cls.initialize()
        machine = TransitionsMachine(model=policy, states=self.names, initial='initial',
                                     auto_transitions=False)
        for spec in self.declared:
            machine.add_transition(**spec)
        kind = request['request']['type']
        if kind == 'LaunchRequest':
            resp = policy.get_current_state_response()
        else:
            attributes = self.states_cls.session_attributes_cls.from_request(request)
            policy.states.attributes = attributes
            machine.set_state(attributes.state, model=policy)
            try:
                getattr(policy, 'trigger')(attributes.intent)
                attributes.state = policy.state
                resp = getattr(self.states_cls, policy.state)(policy.states)
            except (MachineError, AttributeError):
                resp = response.NOT_UNDERSTOOD
            resp = resp._replace(session_attributes=attributes)
        return resp.to_json()


def per_request(fns, texts, seconds, rounds=10):
    """Cost of one request in microseconds for each of ``fns``, measured in interleaved rounds.

    Neighbours on a shared machine slow it down for seconds at a time, so timing one side after
    the other skews their ratio: here the sides take turns, round by round, and each side's
    fastest round counts (other work only ever adds time, as timeit advises). A round runs
    about ``seconds / rounds`` of passes through the session with garbage collection on, so the
    collections a request's allocations cause are paid inside the round, as a server pays them.
    """
    def one_pass(fn):
        for text in texts:
            fn(text)

    passes = {}
    for name, fn in fns.items():
        start = time.perf_counter()
        one_pass(fn)
        passes[name] = max(1, int(seconds / rounds / max(time.perf_counter() - start, 1e-9)))
    best = dict.fromkeys(fns, float('inf'))
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(passes[name]):
                one_pass(fn)
            best[name] = min(best[name], (time.perf_counter() - start) / passes[name])
    return {name: best[name] / len(texts) * 1e6 for name in fns}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--skill', action='append')
    parser.add_argument('--seconds', type=float, default=2.0)
    args = parser.parse_args()
    specs = args.skill or [s for s in SCRIPTS if _importable(s)]
    for spec in specs:
        policy_cls = load(spec)
        texts, responses = session_texts(policy_cls, SCRIPTS[spec])
        canned = dict(zip(texts, responses))
        legacy = PerRequestMachine(policy_cls)

        def floor(text):
            json.loads(text)
            return json.dumps(canned[text])

        def ours(text):
            return policy_cls.initialize().handle(json.loads(text)).text

        def machine(text):
            return json.dumps(legacy.handle(json.loads(text)))

        ours(texts[0])
        machine(texts[0])
        times = per_request({'floor': floor, 'ours': ours}, texts, args.seconds * 2)
        t_floor, t_ours = times['floor'], times['ours']
        t_machine = per_request({'machine': machine}, texts, args.seconds / 2)['machine']
        print(f"{spec}: {len(texts)} turns per session")
        print(f"  floor    {t_floor:8.1f} us/request  (json.loads + json.dumps)")
        print(f"  ours     {t_ours:8.1f} us/request  ratio to floor {t_ours / t_floor:5.2f} "
              f"(target <= 2)")
        print(f"  machine  {t_machine:8.1f} us/request  0.1.11's per-request Machine is "
              f"{t_machine / t_ours:5.1f}x ours (target >= 15)")


def _importable(spec):
    try:
        load(spec)
        return True
    except (ImportError, AttributeError):
        return False


if __name__ == '__main__':
    main()
