"""Interaction models in Amazon's old layouts: per-locale files, one file of many types, a schema
whose types lived in the console. Fixtures: tests/fixtures/legacy_models (see its README.txt).
"""
from pathlib import Path

import pytest

from alexafsm import amazon_intent
from alexafsm import response
from alexafsm.errors import ModelError
from alexafsm.policy import Policy
from alexafsm.states import States
from alexafsm.states import with_transitions
from alexafsm.tools.interaction_model import load_legacy
from alexafsm.tools.interaction_model import load_model
from alexafsm.tools.validation import WARNING
from alexafsm.tools.validation import validate_policy
from alexafsm.utils import ValidationError
from alexafsm.utils import validate

LEGACY = Path(__file__).parent / 'fixtures' / 'legacy_models'
UNITS = LEGACY / 'units' / 'speechAssets'
CONSOLE_SCHEMA = LEGACY / 'console' / 'alexa-schema.json'


def values(model, type_name):
    return [v.value for v in model.slot_type(type_name).values]


def test_per_locale_files_are_read_for_the_locale_asked_en_us_by_default():
    model = load_model(LEGACY / 'units')
    assert len(model.intent('ConvertIntent').samples) == 3
    assert model.intent('PaintIntent').samples == ('paint it {Color}', 'make the wall {Color}')
    assert values(model, 'LIST_OF_UNITS')[:2] == ['meters', 'feet']
    assert values(model, 'LIST_OF_COLORS') == ['red', 'green', 'blue', 'white']
    german = load_model(UNITS / 'IntentSchema.json', locale='de-DE')
    assert len(german.intent('ConvertIntent').samples) == 2
    assert values(german, 'LIST_OF_COLORS') == ['rot', 'gruen', 'blau', 'weiss']
    assert german.resolve('LIST_OF_UNITS', 'Zoll').value == 'zoll'


def test_a_file_that_matches_nothing_is_warned_about():
    model = load_model(LEGACY / 'units')
    assert len(model.warnings) == 1
    assert model.warnings[0].startswith(f"{UNITS / 'notes.txt'}: matches nothing")
    findings = [f for f in validate_policy(Units, UNITS) if f.code == 'model-warning']
    assert [(f.severity, f.message) for f in findings] == [(WARNING, model.warnings[0])]


def test_a_locale_without_files_is_said_not_guessed():
    with pytest.raises(ModelError, match="type 'LIST_OF_UNITS', which is neither built-in"):
        load_model(LEGACY / 'units', locale='fr-FR')
    model = load_model(LEGACY / 'units', locale='fr-FR', strict=False)
    assert all(i.samples == () for i in model.intents.values())
    assert any('sample utterances for de-DE, en-US but not for fr-FR' in w
               for w in model.warnings)
    assert model.slot_type('LIST_OF_UNITS').values == ()


def test_one_custom_slot_type_file_holding_several_types():
    model = load_model(LEGACY / 'onefile')
    assert values(model, 'LIST_OF_SIGNS') == ['aries', 'taurus', 'gemini', 'cancer']
    assert values(model, 'LIST_OF_DAYS') == ['today', 'tomorrow', 'yesterday']
    assert model.warnings == ()
    assert len(model.intent('HoroscopeIntent').samples) == 3


def test_load_legacy_reads_a_types_folder_with_locale_suffixes(tmp_path):
    folder = tmp_path / 'customSlotTypes'
    folder.mkdir()
    (folder / 'LIST_OF_UNITS_en_US').write_text('meters\n')
    (folder / 'LIST_OF_UNITS_de_DE').write_text('meter\n')
    (folder / 'LIST_OF_COLORS').write_text('red\n')
    (folder / 'LIST_OF_PLANETS').write_text('mars\n')
    model = load_legacy(UNITS / 'IntentSchema.json', UNITS / 'SampleUtterances_en_US.txt',
                        folder, locale='de-DE')
    assert values(model, 'LIST_OF_UNITS') == ['meter']
    assert values(model, 'LIST_OF_COLORS') == ['red']
    assert model.warnings == (f"{folder / 'LIST_OF_PLANETS'}: defines slot type "
                              f"'LIST_OF_PLANETS', which no slot of the schema uses",)


class SearchStates(States):
    """A 0.1.11 skill whose schema's custom type QUERY was filled in the old console."""

    def initial(self):
        return response.Response(speech='What shall I look for?', reprompt='Say a search.')

    @with_transitions({'trigger': 'NewSearch', 'source': '*'})
    def searching(self):
        return response.Response(speech='Found it.', reprompt='Another?')

    @with_transitions({'trigger': amazon_intent.HELP, 'source': '*'})
    def helping(self):
        return response.Response(speech='Say a search.', reprompt='Say a search.')

    @with_transitions({'trigger': amazon_intent.STOP, 'source': '*'},
                      {'trigger': amazon_intent.CANCEL, 'source': '*'})
    def exiting(self):
        return response.end('Search')


class Search(Policy):
    states_cls = SearchStates


class Units(Search):
    """Not a converter: it serves to validate the units model, whose findings are of the model."""


def test_utils_validate_on_a_schema_whose_types_were_in_the_console_passes_as_in_0_1_11():
    validate(Search, CONSOLE_SCHEMA)
    findings = [f for f in validate_policy(Search, CONSOLE_SCHEMA) if f.code == 'model-warning']
    assert len(findings) == 1 and findings[0].severity == WARNING
    assert "custom type 'QUERY', whose values are in no file beside the schema" in \
        findings[0].message


def test_utils_validate_still_raises_its_assertion_error_for_0_1_11s_checks():
    class Forgetful(SearchStates):
        @with_transitions()
        def searching(self):
            return response.Response(speech='Found it.', reprompt='Another?')

    class ForgetfulSearch(Policy):
        states_cls = Forgetful

    with pytest.raises(AssertionError) as raised:
        validate(ForgetfulSearch, CONSOLE_SCHEMA)
    assert isinstance(raised.value, ValidationError)
    assert "intent 'NewSearch' of the model has no transition" in str(raised.value)
