"""Per-request cost of the core, as ratios measured in one run.

Drives a skill through scripted sessions, attributes round-tripping through JSON as Alexa carries
them, and prints:
  floor     json.loads(request) + json.dumps(response): what any Python endpoint pays
  ours      json.loads + Policy.initialize().handle(request) + json.dumps (0.1.11's usage)
  machine   0.1.11's way: a transitions.Machine built for every request, then fired
  0.1.11    alexafsm 0.1.11 itself, in a subprocess (skills written for its API, when
            ./scripts/test.sh has unpacked it into .cache/)
  build     building that Machine alone, which bounds machine/ours: a turn costs at least the
            floor, so no implementation can be more than (build + floor) / floor times faster
  firing    the machine's part of an intent turn alone (attributes, state, trigger, callbacks),
            ours against a Machine built for the request
and the ratios ours/floor (target <= 2) and machine/ours (target >= 15).

The machine's cost grows with its transitions and ours does not, so a generated machine of the
size real skills reach (benchmarks/tools.py) runs too, beside the two small example skills.

    .venv/bin/python benchmarks/core.py [--skill tests.fixtures.compat_skill:Policy] [--seconds 2]
                                        [--generated 60,400]
"""
import argparse
import json
import random
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transitions import Machine as TransitionsMachine  # noqa: E402
from transitions import MachineError  # noqa: E402

from alexafsm import response  # noqa: E402
from alexafsm.machine import Machine  # noqa: E402
from alexafsm.machine import NotHandled  # noqa: E402
from alexafsm.machine import state_order  # noqa: E402
from alexafsm.request import parse  # noqa: E402

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


GENERATED = 'generated'  # --generated STATES,TRANSITIONS: benchmarks/tools.py's machine


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
    """The session's request texts and response dicts, each turn fed the previous attributes.

    ``script`` is a list of (request type, intent, slots), or a number of turns: then a launch
    and intents drawn from those the machine has a transition for in the state it is in.
    """
    texts, responses, attributes = [], [], {}
    walk = random.Random(0) if isinstance(script, int) else None
    turns = range(script) if walk else script
    for turn, step in enumerate(turns):
        if walk is None:
            kind, intent, slots = step
        elif turn == 0:
            kind, intent, slots = 'LaunchRequest', None, {}
        else:
            state = attributes.get('state', 'initial')
            fsm = Machine.of(policy_cls)
            kind, slots = 'IntentRequest', {}
            intent = walk.choice(sorted(t for t in fsm.events if fsm.handles(t, state)))
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

    def build(self, policy):
        machine = TransitionsMachine(model=policy, states=self.names, initial='initial',
                                     auto_transitions=False)
        for spec in self.declared:
            machine.add_transition(**spec)
        return machine

    def handle(self, request):
        policy = self.policy_cls.initialize()
        machine = self.build(policy)
        kind = request['request']['type']
        if kind == 'LaunchRequest':
            resp = policy.get_current_state_response()
        else:
            attributes = self.states_cls.session_attributes_cls.from_request(request)
            policy.states.attributes = attributes
            try:
                self.fire(machine, policy, attributes.intent)
                attributes.state = policy.state
                resp = getattr(self.states_cls, policy.state)(policy.states)
            except (MachineError, KeyError):
                resp = response.NOT_UNDERSTOOD
            resp = resp._replace(session_attributes=attributes)
        return resp.to_json()

    @staticmethod
    def fire(machine, policy, trigger):
        """Fire through transitions itself: the Policy's own ``trigger`` method, which
        transitions leaves in place when it binds the model, fires the compiled table."""
        machine.set_state(policy.states.attributes.state, model=policy)
        machine.events[trigger].trigger(policy)


OLD_VERSION = ROOT / '.cache' / 'alexafsm-0.1.11'
OLD_SKILLS = {'tests.fixtures.compat_skill:Policy': ROOT / 'tests' / 'fixtures'}

# Runs in a subprocess on 0.1.11's package: a round of passes for each line on stdin.
OLD_DRIVER = """
import json, sys, time
import alexafsm
assert alexafsm.__version__ == '0.1.11', alexafsm.__file__
import alexafsm.make_json_serializable  # 0.1.11's responses need its json monkey-patch
from compat_skill import Policy
texts = json.loads(sys.stdin.readline())
def turn(text):
    try:
        return json.dumps(Policy.initialize().handle(json.loads(text)))
    except Exception:  # 0.1.11 raises on an intent its machine does not know
        return None
for line in sys.stdin:
    start = time.perf_counter()
    for _ in range(int(line)):
        for text in texts:
            turn(text)
    print(time.perf_counter() - start, flush=True)
"""


class OldVersion:
    """alexafsm 0.1.11 serving the same session in a subprocess, timed round by round."""

    def __init__(self, skill_dir, texts):
        self.process = subprocess.Popen(
            [sys.executable, '-c', OLD_DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, cwd=skill_dir,  # not ROOT: '-c' puts the working directory on sys.path
            env={'PYTHONPATH': f'{OLD_VERSION}:{skill_dir}', 'PATH': '/usr/bin:/bin'})
        self.process.stdin.write(json.dumps(texts) + '\n')

    def __call__(self, passes):
        self.process.stdin.write(f'{passes}\n')
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def local(fn, texts):
    """A timer of ``passes`` passes through the session in this process."""
    def timed(passes):
        start = time.perf_counter()
        for _ in range(passes):
            for text in texts:
                fn(text)
        return time.perf_counter() - start
    return timed


def per_request(timers, turns, seconds, rounds=10):
    """Cost of one request in microseconds for each of ``timers``, measured in interleaved rounds.

    Neighbours on a shared machine slow it down for seconds at a time, so timing one side after
    the other skews their ratio: here the sides take turns, round by round. Returned are each
    side's fastest round (other work only ever adds time, as timeit advises) and every round's
    figure, for ratios of the sides within one round (``paired_ratio``). A round runs about
    ``seconds / rounds`` of passes through the session with garbage collection on, so the
    collections a request's allocations cause are paid inside the round, as a server pays them.
    """
    passes = {name: max(1, int(seconds / rounds / max(timed(1), 1e-9)))
              for name, timed in timers.items()}
    each = {name: [] for name in timers}
    for _ in range(rounds):
        for name, timed in timers.items():
            each[name].append(timed(passes[name]) / passes[name] / turns * 1e6)
    return {name: min(figures) for name, figures in each.items()}, each


def paired_ratio(each, numerator, denominator):
    """The median over rounds of one side's cost over the other's in the same round.

    Both were timed seconds apart, so a slow spell of the machine slows both and cancels out,
    where the ratio of two fastest rounds may pair a fast spell with a slow one.
    """
    ratios = sorted(n / d for n, d in zip(each[numerator], each[denominator]))
    middle = len(ratios) // 2
    return ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--skill', action='append')
    parser.add_argument('--seconds', type=float, default=2.0)
    parser.add_argument('--generated', default='60,400', metavar='STATES,TRANSITIONS',
                        help="size of the generated skill of benchmarks/tools.py, the size it "
                             "calls real (0 to leave it out)")
    args = parser.parse_args()
    specs = args.skill or [s for s in SCRIPTS if _importable(s)]
    if not args.skill and args.generated != '0':
        specs.append(GENERATED)
    for spec in specs:
        if spec == GENERATED:
            from tools import generate
            size = tuple(int(n) for n in args.generated.split(','))
            policy_cls, script = generate(*size)[0], 7
            spec = f"generated machine of {size[0]} states and {size[1]} transitions"
        else:
            policy_cls, script = load(spec), SCRIPTS[spec]
        texts, responses = session_texts(policy_cls, script)
        canned = dict(zip(texts, responses))
        legacy = PerRequestMachine(policy_cls)

        def floor(text):
            json.loads(text)
            return json.dumps(canned[text])

        def ours(text):
            return policy_cls.initialize().handle(json.loads(text)).text

        def machine(text):
            return json.dumps(legacy.handle(json.loads(text)))

        def build(_text):
            return legacy.build(policy_cls.initialize())

        # the machine's part of a turn alone: set the state, fire the intent, run its callbacks
        turns = [(json.loads(text), parse(json.loads(text)).intent_name) for text in texts]
        turns = [(request, intent) for request, intent in turns if intent]

        def fire_ours(turn):
            request, intent = turn
            policy = policy_cls.initialize(request)
            try:
                policy.fsm.fire(policy, intent)
            except NotHandled:
                pass

        def fire_machine(turn):
            request, intent = turn
            policy = policy_cls.initialize(request)
            try:
                legacy.fire(legacy.build(policy), policy, intent)
            except (MachineError, KeyError):
                pass

        timers = {'floor': local(floor, texts), 'ours': local(ours, texts)}
        old = None
        if spec in OLD_SKILLS and (OLD_VERSION / 'alexafsm').is_dir():
            old = timers['0.1.11'] = OldVersion(OLD_SKILLS[spec], texts)
        times, each = per_request(timers, len(texts), args.seconds * 2, rounds=20)
        times.update(per_request({'machine': local(machine, texts), 'build': local(build, texts)},
                                 len(texts), args.seconds)[0])
        if old is not None:
            old.close()
        fired = per_request({'ours': local(fire_ours, turns),
                             'machine': local(fire_machine, turns)}, len(turns), args.seconds)[0]
        t_floor, t_ours = times['floor'], times['ours']
        print(f"{spec}: {len(texts)} turns per session")
        print(f"  floor    {t_floor:8.1f} us/request  (json.loads + json.dumps)")
        print(f"  ours     {t_ours:8.1f} us/request  ratio to floor "
              f"{paired_ratio(each, 'ours', 'floor'):5.2f} (target <= 2; median of "
              f"{len(each['ours'])} paired rounds, {t_ours / t_floor:.2f} from the fastest)")
        print(f"  machine  {times['machine']:8.1f} us/request  0.1.11's per-request Machine is "
              f"{times['machine'] / t_ours:5.1f}x ours (target >= 15)")
        if old is not None:
            print(f"  0.1.11   {times['0.1.11']:8.1f} us/request  alexafsm 0.1.11 itself is "
                  f"{paired_ratio(each, '0.1.11', 'ours'):5.1f}x ours")
        print(f"  build    {times['build']:8.1f} us/request  building the Machine alone; at best "
              f"a turn costs the floor, so 0.1.11's way can be at most "
              f"{(times['build'] + t_floor) / t_floor:4.1f}x slower than any implementation")
        print(f"  firing   {fired['ours']:8.1f} us/intent   attributes, state, trigger and "
              f"callbacks only: a Machine per request takes {fired['machine']:.1f} us, "
              f"{fired['machine'] / fired['ours']:.0f}x as long")


def _importable(spec):
    try:
        load(spec)
        return True
    except (ImportError, AttributeError):
        return False


if __name__ == '__main__':
    main()
