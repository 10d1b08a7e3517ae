"""README's "Upgrading from 0.1.11" names every difference a skill can see; two checked here.

The other differences have their own tests (test_compat011 for the launch, test_policy,
test_turn, test_machine); these two were missing from the README until issue 14.
"""
from pathlib import Path

from alexafsm import response
from alexafsm.policy import Policy
from alexafsm.session_attributes import SessionAttributes
from alexafsm.states import States
from alexafsm.states import with_transitions
from tests.helpers import base_request
from tests.helpers import intent_request

README = Path(__file__).resolve().parents[1] / 'README.rst'


def upgrading_section() -> str:
    text = README.read_text()
    start = text.index('Upgrading from 0.1.11\n')
    after = text.find('\n---', start + len('Upgrading from 0.1.11\n---'))
    end = len(text) if after < 0 else text.rfind('\n', 0, after)  # before the next title
    return ' '.join(text[start:end].split())


def test_the_upgrading_section_names_what_a_launch_sends_and_what_init_keeps():
    section = upgrading_section()
    assert 'A ``LaunchRequest`` is answered from the ``initial`` state with the skill\'s ' \
           'initial session attributes' in section
    assert '0.1.11 sent only ``{"state": "initial"}`` there and never called ``to_json``' \
        in section
    assert 'Attributes that a skill\'s ``Policy.__init__`` (or ``States.from_request``) sets ' \
           'from the request are kept by ``Policy.initialize(request).handle(request)``' \
        in section


class Attributes(SessionAttributes):
    def __init__(self, intent=None, slots=None, state='initial', locale=None, visits=0):
        super().__init__(intent, slots, state)
        self.locale = locale
        self.visits = visits


class GreetingStates(States):
    session_attributes_cls = Attributes

    def initial(self):
        return response.Response(speech='Hello.', reprompt='Say hello.')

    @with_transitions({'trigger': 'Hello', 'source': '*'})
    def greeted(self):
        return response.Response(speech=f"Hello in {self.attributes.locale}.", reprompt='Again?')


class Greeting(Policy):
    states_cls = GreetingStates

    def __init__(self, states, request=None, with_graph=False):
        super().__init__(states, request, with_graph)
        if request is not None:  # what the skill sets from the request, as 0.1.11 code did
            self.states.attributes.locale = request['request']['locale']


def test_what_init_sets_from_the_request_is_kept_and_a_launch_sends_every_attribute():
    request = intent_request('Hello')
    out = Greeting.initialize(request).handle(request)
    assert out['response']['outputSpeech']['text'] == 'Hello in en-US.'
    assert out['sessionAttributes']['locale'] == 'en-US'
    launch = Greeting.initialize().handle(base_request('LaunchRequest'))
    assert launch['sessionAttributes']['state'] == 'initial'
    assert launch['sessionAttributes']['visits'] == 0  # the skill's own field: its to_json ran
