"""Per-turn cost of the core against the JSON floor and Amazon's ask-sdk-core, in one run.

The default run drives one coffee-ordering skill, written in both toolkits
(benchmarks/coffee.py), through the same eleven turns, every turn's request carrying the
previous turn's session attributes, and prints per turn:
  floor          json.loads(request) + json.dumps(response): what any Python endpoint pays
  .text          json.loads + Policy.respond(request).text: what alexafsm's hosts send
  dumps(handle)  json.dumps(Policy.initialize().handle(json.loads(request))): 0.1.11's usage
  ask-sdk-core   the same skill on ask-sdk-core 1.19's Lambda path (deserialize, invoke,
                 serialize, json.dumps), when the bench extra is installed
each side's microseconds (its fastest round), its ratio to the floor (median of rounds in which
the sides alternate, with the range over rounds) and, where valgrind is installed, the
instructions a turn executes (callgrind, a subprocess per side). Realistic envelopes first,
built around the ``context`` blocks of the real requests in shared/alexa-samples (skipped with
a message when they are absent), then minimal ones (~0.4 KB).

    .venv/bin/python benchmarks/core.py [--seconds 2] [--rounds 20] [--no-instructions]
    .venv/bin/python benchmarks/core.py --scale [--states 10,40/100,1000/1000,10000]
                                               [--kilobytes 1,10,100]
    .venv/bin/python benchmarks/core.py --legacy [--skill tests.fixtures.compat_skill:Policy]
                                                [--generated 60,400]

``--scale`` grows what a turn carries: generated machines (benchmarks/tools.py) up to 1,000
states and 10,000 transitions, and session attributes from 1 KB to 100 KB (a long order
history), each checked for byte-identical output on both paths.

``--legacy`` compares with 0.1.11's way:
  machine   0.1.11's way: a transitions.Machine built for every request, then fired
  0.1.11    alexafsm 0.1.11 itself, in a subprocess (skills written for its API, when
            ./scripts/test.sh has unpacked it into .cache/)
  build     building that Machine alone, which bounds machine/ours: a turn costs at least the
            floor, so no implementation can be more than (build + floor) / floor times faster
  firing    the machine's part of an intent turn alone (attributes, state, trigger, callbacks),
            ours against a Machine built for the request
and the ratios ours/floor and machine/ours (target >= 15).
"""
import argparse
import json
import logging
import random
import re
import shutil
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


SAMPLES = ROOT.parent / 'shared' / 'alexa-samples' / 'requests'
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


def legacy(args):
    """0.1.11's ways against ours on the compat skill, Skill Search and a generated machine."""
    specs = args.skill or [s for s in SCRIPTS if _importable(s)]
    if not args.skill and args.generated != '0':
        specs.append(GENERATED)
    for spec in specs:
        if spec == GENERATED:
            from benchmarks.tools import generate
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


# --- the coffee skill against the floor and ask-sdk-core ------------------------------------

def sample_context():
    """The context blocks of the real requests merged into one, the richest ``System`` kept.

    Alexa sends the device's context (viewport, audio player, API endpoint and token) with every
    request; a minimal envelope would make the JSON floor, and so every ratio, look rosier.
    None when shared/alexa-samples is absent.
    """
    if not SAMPLES.is_dir():
        return None
    found = [json.loads(path.read_text()).get('context') for path in sorted(SAMPLES.glob('*.json'))]
    contexts = sorted((c for c in found if isinstance(c, dict)), key=lambda c: len(json.dumps(c)))
    if not contexts:
        return None
    merged = {}
    for context in contexts:  # the largest last: its System, the others' AudioPlayer and such
        merged.update(context)
    return merged


def _slot(name, value, application_id):
    """A slot as Alexa sends it: a custom slot type's value comes with its entity resolution."""
    slot = {'name': name, 'confirmationStatus': 'NONE'}
    if value is not None and application_id is not None:
        slot['value'] = value
        slot['resolutions'] = {'resolutionsPerAuthority': [{
            'authority': f"amzn1.er-authority.echo-sdk.{application_id}.{name.title()}Type",
            'status': {'code': 'ER_SUCCESS_MATCH'},
            'values': [{'value': {'name': value, 'id': value.upper()}}]}]}
        slot['source'] = 'USER'
    elif value is not None:
        slot['value'] = value
    return slot


def coffee_envelope(context, kind, intent, slots, attributes, turn):
    """The request of one turn: realistic around ``context``, minimal when it is None."""
    system = (context or {}).get('System', {})
    application_id = system.get('application', {}).get('applicationId')
    body = {'type': kind, 'requestId': f'amzn1.echo-api.request.0000000{turn}-2bd2-4bdc-8d6b',
            'timestamp': '2026-11-21T00:00:00Z', 'locale': 'en-US'}
    if intent:
        body['intent'] = {'name': intent, 'confirmationStatus': 'NONE',
                          'slots': {k: _slot(k, v, application_id) for k, v in slots.items()}}
    session = {'new': kind == 'LaunchRequest',
               'sessionId': 'amzn1.echo-api.session.5e2a8b0e-0b7c-4a0e-9c5c-coffee',
               'application': {'applicationId': application_id or 'amzn1.ask.skill.coffee'},
               'user': {'userId': system.get('user', {}).get('userId', 'amzn1.ask.account.coffee')},
               'attributes': attributes}
    envelope = {'version': '1.0', 'session': session}
    if context is not None:
        envelope['context'] = context
    envelope['request'] = body
    return envelope


def coffee_session(context, turns=None, attributes=None):
    """Request texts and response dicts of the coffee session, the attributes carried along."""
    from benchmarks import coffee

    texts, responses, attributes = [], [], attributes or {}
    for turn, (kind, intent, slots) in enumerate(turns or coffee.TURNS):
        text = json.dumps(coffee_envelope(context, kind, intent, slots, attributes, turn))
        out = json.loads(coffee.Policy.respond(json.loads(text)).text)
        texts.append(text)
        responses.append(out)
        attributes = out.get('sessionAttributes', {})
    return texts, responses


def ask_turn():
    """ask-sdk-core's side, or None without the bench extra."""
    try:
        from benchmarks.coffee_ask import AskTurn
        return AskTurn()
    except ImportError:
        return None


def sides(policy_cls, texts, responses, with_ask=True):
    """The functions timed: one request text in, one response text out, for each side."""
    canned = dict(zip(texts, responses))
    loads, dumps = json.loads, json.dumps
    initialize, respond = policy_cls.initialize, policy_cls.respond

    def floor(text):
        loads(text)
        return dumps(canned[text])

    def text_path(text):
        return respond(loads(text)).text

    def call_011(text):
        return dumps(initialize().handle(loads(text)))

    timed = {'floor': floor, '.text': text_path, 'dumps(handle)': call_011}
    ask = ask_turn() if with_ask else None
    if ask is not None:
        timed['ask-sdk-core'] = ask
    return timed


def check_same_answers(functions, texts):
    """Every side answers every turn with the same JSON (ask-sdk-core's userAgent aside)."""
    from benchmarks.coffee_ask import AskTurn

    for text in texts:
        answers = {name: json.loads(AskTurn.comparable(fn(text)) if name == 'ask-sdk-core'
                                    else fn(text)) for name, fn in functions.items()}
        reference = answers.pop('.text')
        for name, answer in answers.items():
            if answer != reference:
                raise SystemExit(f"{name} answered differently from .text:\n{answer}\n"
                                 f"{reference}")


def ratio_range(each, numerator, denominator):
    """The median, lowest and highest ratio of two sides over the rounds they alternated in."""
    ratios = sorted(n / d for n, d in zip(each[numerator], each[denominator]))
    return paired_ratio(each, numerator, denominator), ratios[0], ratios[-1]


def instructions_per_turn(side, kind, turns, passes=20):
    """Instructions one turn of ``side`` executes, by callgrind; None without valgrind.

    Two runs of the same process, ``passes`` and twice as many passes through the session:
    their difference is the turns alone, without start-up, imports and warm-up.
    """
    if shutil.which('valgrind') is None:
        return None
    counts = []
    for n in (passes, 2 * passes):
        out = subprocess.run(
            ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', sys.executable,
             str(Path(__file__).resolve()), '--count', side, '--envelopes', kind,
             '--passes', str(n)], capture_output=True, text=True, cwd=ROOT, timeout=900)
        found = re.search(r'Collected : (\d+)', out.stderr)
        if out.returncode != 0 or found is None:
            raise SystemExit(f"callgrind run of {side} failed:\n{out.stderr[-2000:]}")
        counts.append(int(found.group(1)))
    return (counts[1] - counts[0]) / (passes * turns)


def count(args):
    """``--count SIDE``: run SIDE's passes through the session, for callgrind to count."""
    from benchmarks import coffee

    context = sample_context() if args.envelopes == 'realistic' else None
    texts, responses = coffee_session(context)
    fn = sides(coffee.Policy, texts, responses, args.count == 'ask-sdk-core')[args.count]
    for text in texts:  # warm: the machine compiled, caches filled
        fn(text)
    for _ in range(args.passes):
        for text in texts:
            fn(text)


def compare(args):
    """The coffee skill on each side, realistic envelopes then minimal ones."""
    from benchmarks import coffee

    realistic = sample_context()
    kinds = [('realistic', realistic), ('minimal', None)]
    if realistic is None:
        print(f"realistic envelopes skipped: no request samples in {SAMPLES}")
        kinds = kinds[1:]
    for kind, context in kinds:
        texts, responses = coffee_session(context)
        functions = sides(coffee.Policy, texts, responses)
        check_same_answers(functions, texts)
        sizes = sorted(len(t) for t in texts)
        best, each = per_request({name: local(fn, texts) for name, fn in functions.items()},
                                 len(texts), args.seconds * len(functions), rounds=args.rounds)
        print(f"coffee skill, {len(texts)} turns, {kind} envelopes "
              f"({sizes[0] / 1024:.1f}-{sizes[-1] / 1024:.1f} KB); ratio to the floor: median "
              f"[range] of {args.rounds} alternating rounds")
        counted = {}
        if not args.no_instructions:
            counted = {name: instructions_per_turn(name, kind, len(texts),
                                                   5 if name == 'ask-sdk-core' else 20)
                       for name in functions}
        if 'ask-sdk-core' not in functions:
            print("  ask-sdk-core  not installed: pip install -e '.[bench]'")
        for name in functions:
            line = f"  {name:<14}{best[name]:8.1f} us/turn"
            if name != 'floor':
                middle, low, high = ratio_range(each, name, 'floor')
                line += f"  {middle:5.2f}x floor [{low:.2f}-{high:.2f}]"
            else:
                line += ' ' * 28
            if counted.get(name):
                line += f"  {counted[name]:10,.0f} instructions/turn"
                if name != 'floor' and counted.get('floor'):
                    line += f" ({counted[name] / counted['floor']:.2f}x)"
            print(line, flush=True)


def filler_order(kilobytes):
    """Earlier orders, about ``kilobytes`` KB of JSON, for the attributes scale."""
    item = {'drink': 'latte', 'size': 'large', 'milk': 'oat'}
    return [dict(item, note=f"order {i}") for i in range(int(kilobytes * 1024 / 64))]


def scale(args):
    """Ratios as a turn carries more: a bigger machine, bigger session attributes."""
    from benchmarks import coffee
    from benchmarks.tools import generate

    context = sample_context()
    # Responses above 24 KB are logged as a warning on every turn; the log is not timed here.
    logging.getLogger('alexafsm').setLevel(logging.ERROR)
    print(f"envelopes: {'realistic' if context else 'minimal (no request samples)'}; ratio to "
          f"the floor, median [range] of {args.rounds} alternating rounds")
    for size in args.states.split('/'):
        states, transitions = (int(n) for n in size.split(','))
        policy_cls = generate(states, transitions)[0]
        texts, responses = session_texts(policy_cls, 7)
        _report(f"machine of {states:,} states, {transitions:,} transitions",
                sides(policy_cls, texts, responses, with_ask=False), texts, args)
    for kilobytes in (float(k) for k in args.kilobytes.split(',')):
        attributes = {'state': 'added', 'history': filler_order(kilobytes)}
        texts, responses = coffee_session(context, coffee.TURNS[1:], attributes)
        functions = sides(coffee.Policy, texts, responses, with_ask=False)
        for text in texts:  # both paths: the same bytes as the plain envelope encodes to
            out = coffee.Policy.initialize().handle(json.loads(text))
            plain = json.loads(json.dumps(out))
            if out.text != json.dumps(plain, separators=(',', ':')) or \
                    json.dumps(out) != json.dumps(plain):
                raise SystemExit(f"output differs between the paths at {kilobytes} KB")
        size = len(json.dumps(attributes, separators=(',', ':'))) / 1024
        _report(f"session attributes of {size:.0f} KB (byte-identical on both paths)",
                functions, texts, args)


def _report(title, functions, texts, args):
    best, each = per_request({name: local(fn, texts) for name, fn in functions.items()},
                             len(texts), args.seconds * len(functions), rounds=args.rounds)
    ratios = []
    for name in functions:
        if name != 'floor':
            middle, low, high = ratio_range(each, name, 'floor')
            ratios.append(f"{name} {middle:.2f}x [{low:.2f}-{high:.2f}]")
    print(f"{title}: floor {best['floor']:.1f} us/turn; {'; '.join(ratios)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=2.0, help='per side, in total')
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--no-instructions', action='store_true',
                        help='skip the callgrind counts (several seconds a side)')
    parser.add_argument('--scale', action='store_true')
    parser.add_argument('--states', default='10,40/100,1000/1000,10000',
                        metavar='STATES,TRANSITIONS/...')
    parser.add_argument('--kilobytes', default='1,10,100')
    parser.add_argument('--legacy', action='store_true')
    parser.add_argument('--skill', action='append')
    parser.add_argument('--generated', default='60,400', metavar='STATES,TRANSITIONS',
                        help="size of the generated skill of benchmarks/tools.py, the size it "
                             "calls real (0 to leave it out)")
    parser.add_argument('--count', help=argparse.SUPPRESS)
    parser.add_argument('--envelopes', default='realistic', help=argparse.SUPPRESS)
    parser.add_argument('--passes', type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count:
        count(args)
    elif args.legacy or args.skill:
        legacy(args)
    elif args.scale:
        scale(args)
    else:
        compare(args)


def _importable(spec):
    try:
        load(spec)
        return True
    except (ImportError, AttributeError):
        return False


if __name__ == '__main__':
    main()
