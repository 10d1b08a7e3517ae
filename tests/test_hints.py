"""The one "did you mean" rule every tool answers an unknown name with."""
import pytest

from alexafsm._hints import closest
from alexafsm._hints import did_you_mean


@pytest.mark.parametrize('name, known, meant', [
    ('which_fod', ['which_food', 'exiting'], 'which_food'),
    ('AMAZON.YesIntnet', ['AMAZON.NoIntent', 'AMAZON.YesIntent'], 'AMAZON.YesIntent'),
    ('stat', ['state', 'speech'], 'state'),
    ('city', ['Town', 'City'], 'City'),                 # case alone: the commonest slip
    ('CITY', ['CITY_NAME', 'city'], 'city'),            # ... wins over a closer spelling
    ('LIST_OF_STATES', ['LIST_OF_CITIES'], None),       # a pattern shared is no typo
    ('amount', ['count'], None),
    ('anything', [], None),
])
def test_closest_is_a_typo_of_a_known_name_or_nothing(name, known, meant):
    assert closest(name, known) == meant


def test_did_you_mean_is_a_parenthesis_to_append_or_nothing():
    assert did_you_mean('skil', ['skill', 'stories']) == " (did you mean 'skill'?)"
    assert did_you_mean('zzz', ['skill']) == ''
    assert did_you_mean(['stat', 'sate', 'zzz', 'speech_contain'],
                        iter(['state', 'speech_contains'])) == \
        " (did you mean 'state', 'speech_contains'?)"
