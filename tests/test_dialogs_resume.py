"""Resume across sessions: an unfinished form waits in the user's persistent attributes.

The coffee fixture skill sets ``RESUME_ACROSS_SESSIONS = Resume(ttl=timedelta(days=1))``. The
record is written in the turn that changed the form's position or values (never on
SessionEnded, since most sessions end by timing out), kept by Stop, dropped when the task
ends (an outcome, clear, a plain transition out); the next launch sees
``self.dialog.resume_point`` and a transition to RESUME from 'initial' continues the task. A
store that is down only means a fresh launch.
"""
import json
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from typing import List
from typing import Optional

from alexafsm import amazon_intent
from alexafsm.extensions import Record
from alexafsm.extensions import StoreUnavailable
from alexafsm.persistence import MemoryStore
from alexafsm.testing import Conversation
from tests.fixtures.coffee_skill import MODEL
from tests.fixtures.coffee_skill import ORDER
from tests.fixtures.coffee_skill import CoffeePolicy
from tests.fixtures.coffee_skill import CoffeeStates

HELP, YES, STOP, CANCEL = (amazon_intent.HELP, amazon_intent.YES, amazon_intent.STOP,
                           amazon_intent.CANCEL)
USER = 'amzn1.ask.account.COFFEE'
WELCOME_BACK = "Welcome back. Shall we finish your coffee order?"
WELCOME = "Welcome to Coffee Corner. What would you like?"


class CountingStore(MemoryStore):
    """A memory store that counts its reads and writes, and can be switched off."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0
        self.saves = 0
        self.down = False

    def load(self, key: str) -> Optional[Record]:
        if self.down:
            raise StoreUnavailable('the test store is down')
        self.loads += 1
        return super().load(key)

    def save(self, key: str, text: str, version: Any) -> bool:
        if self.down:
            raise StoreUnavailable('the test store is down')
        self.saves += 1
        return super().save(key, text, version)

    def record(self) -> Optional[dict]:
        found = MemoryStore.load(self, USER)
        if found is None:
            return None
        return (json.loads(found.text).get('alexafsm') or {}).get('resume')


class Clock:
    """The requests' timestamps, moved on by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def chat(store: CountingStore, clock: Optional[Clock] = None,
         apologize: bool = False) -> Conversation:
    return Conversation(CoffeePolicy, model=MODEL, store=store, user_id=USER,
                        clock=clock or Clock(), apologize=apologize)


def order(conversation: Conversation, state: str = 'IN_PROGRESS', **said: Any) -> Any:
    return conversation.say(ORDER, dialog_state=state, **said)


def test_stop_mid_form_keeps_the_task_and_the_next_launch_resumes_it():
    store = CountingStore()
    c = chat(store)
    c.launch()
    order(c, 'STARTED', drink='tea')
    assert c.say(STOP).should_end
    assert store.record()['state'] == 'coffee.asking'
    assert store.record()['data'] == {'coffee': {'drink': 'TEA'}}
    assert c.launch().speech == WELCOME_BACK
    turn = c.say(YES)
    assert turn.state == 'coffee.asking' and turn.attributes['coffee'] == {'drink': 'TEA'}
    assert turn.speech == "Small or large?", "back where the form stood, values kept"


def test_a_session_that_times_out_leaves_the_record_of_its_last_change():
    store = CountingStore()
    c = chat(store)
    order(c, 'STARTED', drink='tea', size='large')
    c.end('EXCEEDED_MAX_REPROMPTS')
    assert store.record()['state'] == 'coffee.confirming'
    c.launch()
    turn = c.say(YES)
    assert turn.state == 'coffee.confirming'
    assert turn.response['response']['directives'][0]['type'] == 'Dialog.ConfirmIntent'


def test_the_record_is_written_only_when_position_or_values_change():
    store = CountingStore()
    c = chat(store)
    c.launch()
    saves = []
    for step in (lambda: order(c, 'STARTED', drink='tea'),  # new values: written
                 lambda: c.say(HELP),                        # a digression: nothing new
                 lambda: c.say(YES),                         # back: nothing new
                 lambda: c.say('MenuIntent'),
                 lambda: c.say(YES),
                 lambda: order(c, drink='tea'),             # the same value again
                 lambda: order(c, size='small')):           # position and values: written
        before = store.saves
        step()
        saves.append(store.saves - before)
    assert saves == [1, 0, 0, 0, 0, 0, 1]


def test_a_turn_that_does_not_touch_the_task_does_not_read_the_store_either():
    store = CountingStore()
    c = chat(store)
    order(c, 'STARTED', drink='tea')
    loads = store.loads
    c.say(HELP)
    c.say(YES)
    assert store.loads == loads


def test_the_task_ending_drops_the_record():
    for finish, expected_state in ((lambda c: order(c, confirmation_status='CONFIRMED'), 'made'),
                                   (lambda c: order(c, confirmation_status='DENIED'), 'initial'),
                                   (lambda c: c.say(CANCEL), 'stopped')):
        store = CountingStore()
        c = chat(store)
        order(c, 'STARTED', drink='tea', size='small')
        assert store.record() is not None
        assert finish(c).state == expected_state
        assert store.record() is None
        assert c.launch().speech == WELCOME


def test_stop_from_a_digression_records_the_suspended_form_never_the_digression():
    store = CountingStore()
    c = chat(store)
    order(c, 'STARTED', drink='latte')
    c.say(HELP)
    c.say(STOP)
    assert store.record()['state'] == 'coffee.asking' and store.record()['stack'] == []


def test_a_record_past_its_ttl_is_a_fresh_launch():
    store = CountingStore()
    clock = Clock()
    c = chat(store, clock)
    order(c, 'STARTED', drink='tea')
    c.say(STOP)
    clock.now += timedelta(hours=23)
    assert c.launch().speech == WELCOME_BACK
    clock.now += timedelta(hours=2)
    assert c.launch().speech == WELCOME
    assert c.say(YES).attributes['coffee'] == {}, "yes starts the order afresh"


def test_a_store_that_is_down_means_a_fresh_launch_and_no_apology():
    store = CountingStore()
    c = chat(store)
    order(c, 'STARTED', drink='tea')
    c.say(STOP)
    store.down = True
    assert c.launch().speech == WELCOME
    turn = c.say(YES)
    assert turn.state == 'coffee.asking' and 'Sorry, something went wrong' not in \
        (turn.speech or '')
    turn = order(c, drink='latte')
    assert turn.state == 'coffee.asking' and turn.attributes['coffee'] == {'drink': 'LATTE'}


def test_without_a_store_the_form_works_and_nothing_is_recorded():
    c = Conversation(CoffeePolicy, model=MODEL, store=None)  # the skill's own: it has none
    order(c, 'STARTED', drink='tea')
    assert c.say(STOP).should_end
    assert c.launch().speech == WELCOME


def test_renamed_applies_to_the_resume_record(monkeypatch):
    store = CountingStore()
    at = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc).timestamp()
    store.save(USER, json.dumps({'alexafsm': {'v': 1, 'resume': {
        'state': 'ordering', 'stack': [], 'forms': {}, 'data': {'coffee': {'drink': 'TEA'}},
        'at': at}}}), None)
    monkeypatch.setattr(CoffeeStates, 'RENAMED', {'ordering': 'coffee.asking'}, raising=False)
    monkeypatch.setattr(CoffeeStates, '_alexafsm_dialogs', None, raising=False)
    monkeypatch.setattr(CoffeePolicy, '_alexafsm_machine', None)
    c = chat(store)
    assert c.launch().speech == WELCOME_BACK
    assert c.say(YES).state == 'coffee.asking'


def test_skill_code_that_raises_saves_nothing(monkeypatch):
    store = CountingStore()
    c = chat(store, apologize=True)  # what the user hears and what is kept when the skill fails
    order(c, 'STARTED', drink='tea')
    saves = store.saves
    attributes = dict(c.attributes)

    def broken(self: Any, cups: int) -> int:
        raise RuntimeError('a bug in the validator')
    monkeypatch.setattr(CoffeePolicy, 'check_cups', broken)
    turn = order(c, size='large', cups=2)
    assert turn.speech.startswith('Sorry, something went wrong')
    assert store.saves == saves and turn.attributes == attributes


def _launch_speeches(store: CountingStore) -> List[str]:
    return [chat(store).launch().speech]


def test_each_user_has_a_record_of_their_own():
    store = CountingStore()
    order(chat(store), 'STARTED', drink='tea')
    other = Conversation(CoffeePolicy, model=MODEL, store=store, user_id='amzn1.ask.account.B',
                         clock=Clock())
    assert other.launch().speech == WELCOME
    assert _launch_speeches(store) == [WELCOME_BACK]
