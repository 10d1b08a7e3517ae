import copy
import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from alexafsm.tools.interaction_model import InteractionModel
from alexafsm.tools.interaction_model import ModelError
from alexafsm.tools.interaction_model import SlotType
from alexafsm.tools.interaction_model import SlotValue
from alexafsm.tools.interaction_model import load_legacy
from alexafsm.tools.interaction_model import load_model
from tests.paths import SAMPLES

CURRENT = SAMPLES.params('models/*.json')


def models(name: str) -> Path:
    """A shared sample model; the calling test skips when ../shared/alexa-samples lacks it."""
    __tracebackhide__ = True
    return SAMPLES.path('models', name)


def legacy_model(*parts: str) -> Path:
    """A file or folder of the legacy models; skips the calling test when it is absent."""
    __tracebackhide__ = True
    return SAMPLES.path('models', 'legacy', *parts)


def raw_model(name: str) -> dict:
    return json.loads(models(name).read_text())['interactionModel']


def lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def write(path: Path, content) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_shared_models_are_the_documented_copies():
    for line in models('SHA256SUMS').read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256(models(name).read_bytes()).hexdigest() == digest, name
    assert len(SAMPLES.files('models/*.json')) == 5


@pytest.mark.parametrize('path', CURRENT, ids=lambda p: p.name)
def test_current_models_match_their_json(path):
    raw = json.loads(path.read_text())['interactionModel']['languageModel']
    model = load_model(path)

    assert model.source == str(path)
    assert model.invocation_name == raw['invocationName']
    assert model.intent_names == tuple(i['name'] for i in raw['intents'])
    for raw_intent in raw['intents']:
        intent = model.intent(raw_intent['name'])
        assert [(s.name, s.type) for s in intent.slots] == \
            [(s['name'], s['type']) for s in raw_intent.get('slots', [])]
        assert intent.samples == tuple(raw_intent.get('samples', []))
    for raw_type in raw['types']:
        values = model.slot_type(raw_type['name']).values
        assert [v.value for v in values] == [v['name']['value'].strip() for v in raw_type['values']]
        assert [v.id for v in values] == [v.get('id') for v in raw_type['values']]
    referenced = {s['type'] for i in raw['intents'] for s in i.get('slots', [])}
    assert set(model.types) == referenced | {t['name'] for t in raw['types']}
    for name in referenced - {t['name'] for t in raw['types']}:
        assert name.startswith('AMAZON.') and model.slot_type(name).values == ()


def test_petmatch_slots_synonyms_and_extended_builtin_type():
    model = load_model(models('petmatch.en-US.json'))
    intent = model.intent('PetMatchIntent')

    assert intent.slot_names == ('pet', 'size', 'temperament', 'I_Want', 'energy', 'article', 'at_the')
    assert intent.slot('SIZE').type == 'sizeType'
    assert intent.slot('i_want').name == 'I_Want'
    assert intent.slot('colour') is None
    assert intent.slot('energy').samples == ('{energy} energy', '{I_Want} to {energy}')

    assert model.resolve('sizeType', 'Teacup').value == 'tiny'
    assert model.resolve('sizeType', '  itty   bitty ').value == 'tiny'
    assert model.resolve('sizeType', 'tiny').synonyms[:2] == ('tiny size', 'cheap to feed')
    assert model.resolve('sizeType', 'enormous') is None
    assert model.resolve('energyType', 'medium').synonyms[0] == 'medium energy'
    animal = model.slot_type('AMAZON.Animal')
    assert animal.is_builtin and animal.resolve('Dragon') == SlotValue(None, 'mythical_creatures',
                                                                       ('unicorn', 'chimera', 'dragon'))


def test_petmatch_dialog_required_slots_and_prompts():
    raw = raw_model('petmatch.en-US.json')
    raw_slots = raw['dialog']['intents'][0]['slots']
    prompts = {p['id']: [v['value'] for v in p['variations']] for p in raw['prompts']}
    intent = load_model(models('petmatch.en-US.json')).intent('PetMatchIntent')

    assert [s.name for s in intent.required_slots] == [s['name'] for s in raw_slots if s['elicitationRequired']]
    assert [s.name for s in intent.required_slots] == ['size', 'temperament', 'energy']
    for raw_slot in raw_slots:
        slot = intent.slot(raw_slot['name'])
        if 'elicitation' in raw_slot['prompts']:
            assert list(slot.elicitation_prompt.texts) == prompts[raw_slot['prompts']['elicitation']]
        else:
            assert slot.elicitation_prompt is None
    assert intent.slot('size').elicitation_prompt.text == \
        'There are dogs that are tiny, small, medium, and large. Which would you like?'
    assert intent.slot('temperament').elicitation_prompt.variations[1].type == 'PlainText'
    assert not intent.confirmation_required and intent.confirmation_prompt is None
    assert not any(s.confirmation_required for s in intent.slots)


def test_sauce_boss_ids_delegation_and_validations():
    model = load_model(models('sauce-boss.en-US.json'))
    intent = model.intent('RecipeIntent')

    assert model.resolve('LIST_OF_ITEMS', 'B. B. Q.') == SlotValue('BBQ', 'barbecue', ('b. b. q.',))
    assert model.resolve('LIST_OF_ITEMS', 'Thousand Island').id == 'THO'
    assert model.resolve('LIST_OF_ITEMS', 'ketchup') is None
    assert model.delegation_strategy == intent.delegation_strategy == 'ALWAYS'
    assert model.intent('AMAZON.HelpIntent').delegation_strategy is None
    item = intent.slot('item')
    assert item.elicitation_required and item.elicitation_prompt.text == 'Which recipe did you want?'
    [validation] = item.validations
    assert validation.type == 'hasEntityResolutionMatch'
    assert validation.prompt.id == 'ItemValidationPrompt'
    assert validation.prompt.texts[1] == "I don't know the recipe for {Item} .  Which recipe did you want?"
    assert set(model.prompts) == {'ElicitItemPrompt', 'ItemValidationPrompt'}


def test_quiz_game_builtin_intents_and_types():
    raw = raw_model('quiz-game.en-US.json')['languageModel']
    model = load_model(models('quiz-game.en-US.json'))

    assert len(model.intents) == 20
    assert sum(i.is_builtin for i in model.intents.values()) == 18
    assert [i.name for i in model.intents.values() if not i.is_builtin] == ['AnswerIntent', 'QuizIntent']
    assert model.intent('AMAZON.ScrollLeftIntent').samples == ()
    assert model.intent('QuizIntent').slots == ()
    answer = model.intent('AnswerIntent')
    assert {s.name: s.type for s in answer.slots} == {
        'state': 'AMAZON.US_STATE', 'capital': 'AMAZON.US_CITY', 'statehood_year': 'AMAZON.FOUR_DIGIT_NUMBER',
        'abbreviation': 'US_STATE_ABBR', 'statehood_order': 'AMAZON.NUMBER'}
    assert len(model.slot_type('US_STATE_ABBR').values) == len(raw['types'][0]['values']) == 50
    assert model.resolve('US_STATE_ABBR', 'wa').value == 'WA'
    assert model.resolve('AMAZON.US_STATE', 'Washington') is None
    assert model.intent('amazon.helpintent') is None  # intent names are exact on the wire


def test_howto_large_type_and_empty_types_list():
    howto = load_model(models('howto.en-US.json'))
    items = howto.slot_type('LIST_OF_ITEMS')
    assert len(items.values) == 516
    assert all(v.id is None and v.synonyms == () for v in items.values)
    assert howto.resolve('LIST_OF_ITEMS', 'Steak') == SlotValue(None, 'steak')  # stored as "steak "
    assert 'AMAZON.RepeatIntent' in howto.intents

    highlow = load_model(models('highlowgame.en-US.json'))
    assert list(highlow.types) == ['AMAZON.NUMBER']
    assert highlow.intent('NumberGuessIntent').samples == ('{number}', 'is it {number}', 'how about {number}',
                                                          'could be {number}')


def test_legacy_tide_pooler_attaches_utterances_and_types():
    folder = legacy_model('tidePooler')
    model = load_model(folder)
    utterances = lines(folder / 'SampleUtterances.txt')

    assert model.source == str(folder / 'IntentSchema.json')
    assert model.invocation_name is None
    assert model.intent_names == ('OneshotTideIntent', 'DialogTideIntent', 'SupportedCitiesIntent',
                                  'AMAZON.HelpIntent', 'AMAZON.StopIntent', 'AMAZON.CancelIntent')
    for intent in model.intents.values():
        expected = [u.split(None, 1)[1] for u in utterances if u.split()[0] == intent.name]
        assert list(intent.samples) == expected
    assert model.intent('DialogTideIntent').samples == ('{City}', '{City} {State}', '{Date}')
    assert sum(len(i.samples) for i in model.intents.values()) == len(utterances)
    assert model.intent('SupportedCitiesIntent').samples[-1] == 'which cities do you know'
    assert [(s.name, s.type) for s in model.intent('OneshotTideIntent').slots] == \
        [('City', 'LIST_OF_CITIES'), ('State', 'LIST_OF_STATES'), ('Date', 'AMAZON.DATE')]

    cities = lines(folder / 'customSlotTypes' / 'LIST_OF_CITIES')
    assert [v.value for v in model.slot_type('LIST_OF_CITIES').values] == cities
    assert model.resolve('LIST_OF_CITIES', 'Myrtle Beach') == SlotValue(None, 'myrtle beach')
    assert model.resolve('LIST_OF_STATES', 'new york').value == 'new york'
    assert model.resolve('LIST_OF_STATES', 'oregon') is None
    assert model.slot_type('AMAZON.DATE') == SlotType('AMAZON.DATE')


def test_legacy_minecraft_helper_matches_its_modern_descendant():
    folder = legacy_model('minecraftHelper')
    legacy = load_legacy(folder / 'IntentSchema.json', folder / 'SampleUtterances.txt', folder / 'customSlotTypes')
    modern = load_model(models('howto.en-US.json'))

    assert legacy == load_model(folder)
    assert legacy.intent('RecipeIntent').slots == modern.intent('RecipeIntent').slots
    assert set(legacy.intent('RecipeIntent').samples) == set(modern.intent('RecipeIntent').samples)
    assert legacy.slot_type('LIST_OF_ITEMS') == modern.slot_type('LIST_OF_ITEMS')
    assert legacy.resolve('LIST_OF_ITEMS', "jack o'lantern").value == "jack o'lantern"


def test_legacy_schema_without_utterances_or_types():
    model = load_legacy(legacy_model('tidePooler', 'IntentSchema.json'), None, legacy_model('tidePooler', 'customSlotTypes'))
    assert all(i.samples == () for i in model.intents.values())
    assert len(model.slot_type('LIST_OF_STATES').values) == 10

    with pytest.raises(ModelError, match=r"type 'LIST_OF_CITIES', which is neither built-in .* "
                                         r"custom slot types directory \(none was given\)"):
        load_legacy(legacy_model('tidePooler', 'IntentSchema.json'))


def test_alexafsm_0_1_11_layout_with_literal_syntax(tmp_path):
    write(tmp_path / 'speech' / 'alexa-schema.json', {'intents': [
        {'intent': 'NewSearch', 'slots': [{'name': 'Query', 'type': 'AMAZON.LITERAL'}]},
        {'intent': 'NthSkill', 'slots': [{'name': 'Nth', 'type': 'NTH'}]},
        {'intent': 'AMAZON.HelpIntent'}]})
    write(tmp_path / 'speech' / 'sample-utterances.txt',
          'AMAZON.HelpIntent what can i ask\nNewSearch i want {find a skill|Query}\n'
          'NthSkill\ttell me about the {Nth} skill\n')
    write(tmp_path / 'speech' / 'slot-types' / 'NTH.txt', 'FIRST\nSECOND\n\n')

    model = load_model(tmp_path)
    assert model.intent('NewSearch').samples == ('i want {Query}',)
    assert model.intent('NthSkill').samples == ('tell me about the {Nth} skill',)
    assert model.intent('AMAZON.HelpIntent').samples == ('what can i ask',)
    assert model.resolve('NTH', 'second') == SlotValue(None, 'SECOND')


def test_directory_layouts_and_locale_choice(tmp_path):
    package = tmp_path / 'skill'
    write(package / 'skill-package' / 'skill.json', {'manifest': {'publishingInformation': {}}})
    custom = package / 'skill-package' / 'interactionModels' / 'custom'
    custom.mkdir(parents=True)
    shutil.copy(models('quiz-game.en-US.json'), custom / 'en-GB.json')
    shutil.copy(models('highlowgame.en-US.json'), custom / 'en-US.json')
    assert load_model(package).invocation_name == 'high low game'
    assert load_model(package / 'skill-package').invocation_name == 'high low game'

    (custom / 'en-US.json').unlink()
    assert load_model(package).invocation_name == 'united states quiz game'

    shutil.copy(models('petmatch.en-US.json'), custom / 'de-DE.json')
    with pytest.raises(ModelError, match=r"several interaction models \(de-DE.json, en-GB.json\)"):
        load_model(package)

    repo = tmp_path / 'repo'
    write(repo / 'package.json', {'name': 'not a model'})
    shutil.copy(models('petmatch.en-US.json'), write(repo / 'models' / 'en-US.json', ''))
    assert load_model(repo).invocation_name == 'pet match'


def test_format_is_detected_from_content_not_name(tmp_path):
    schema = json.loads(legacy_model('tidePooler', 'IntentSchema.json').read_text())
    write(tmp_path / 'legacy' / 'en-US.json', schema)
    shutil.copytree(legacy_model('tidePooler', 'customSlotTypes'), tmp_path / 'legacy' / 'customSlotTypes')
    assert len(load_model(tmp_path / 'legacy' / 'en-US.json').slot_type('LIST_OF_CITIES').values) == 17

    current = write(tmp_path / 'current' / 'IntentSchema.json', models('sauce-boss.en-US.json').read_text())
    assert load_model(current).intent('RecipeIntent').slot('Item').elicitation_required


def test_skill_builder_json_shapes(tmp_path):
    raw = raw_model('petmatch.en-US.json')
    bare = load_model(write(tmp_path / 'bare.json', raw))
    assert bare.intent('PetMatchIntent').slot('size').elicitation_prompt.text.startswith('There are dogs')
    assert bare == dataclasses.replace(load_model(models('petmatch.en-US.json')), source=str(tmp_path / 'bare.json'))

    oldest = load_model(write(tmp_path / 'old.json', {
        'intents': [{'name': 'ColorIntent', 'samples': ['my color is {Color}'],
                     'slots': [{'name': 'Color', 'type': 'COLOR'}]}],
        'types': [{'name': 'COLOR', 'values': [{'id': None, 'name': {'value': 'red', 'synonyms': ['crimson']}}]}]}))
    assert oldest.resolve('COLOR', 'Crimson') == SlotValue(None, 'red', ('crimson',))
    assert oldest.invocation_name is None and oldest.prompts == {}


def test_model_is_immutable():
    model = load_model(models('sauce-boss.en-US.json'))
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.invocation_name = 'x'
    with pytest.raises(TypeError):
        model.intents['Extra'] = model.intent('RecipeIntent')
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.intent('RecipeIntent').slots[0].elicitation_required = False
    assert isinstance(model.intent('RecipeIntent').slots, tuple)

    intents = {}
    built = InteractionModel(None, intents, {}, 'test')
    intents['Late'] = None
    assert 'Late' not in built.intents


def test_resolve_against_a_type_the_model_lacks():
    model = load_model(models('petmatch.en-US.json'))
    with pytest.raises(ModelError, match=r"petmatch.en-US.json: there is no slot type 'sizetype' "
                                         r"\(did you mean 'sizeType'\?\); its types are "):
        model.resolve('sizetype', 'tiny')


def _petmatch(mutate) -> dict:
    data = json.loads(models('petmatch.en-US.json').read_text())
    mutate(data['interactionModel'])
    return data


LM = 'interactionModel.languageModel'


@pytest.mark.parametrize('mutate, message', [
    (lambda m: m['languageModel']['intents'][3].pop('name'), f"{LM}.intents[3] has no 'name'"),
    (lambda m: m['languageModel']['intents'][3].update(slots='size'),
     f"{LM}.intents[3].slots should be a list, not a string"),
    (lambda m: m['languageModel']['intents'][3]['slots'][1].update(type='sizeTyp'),
     f"{LM}.intents[3].slots[1] slot 'size' of intent 'PetMatchIntent' has type 'sizeTyp', which is neither "
     f"built-in (AMAZON.*) nor defined in {LM}.types (did you mean 'sizeType'?)"),
    (lambda m: m['languageModel']['intents'][3]['samples'].append('a {colour} dog'),
     f"{LM}.intents[3].samples[10] 'a {{colour}} dog' refers to slot {{colour}}, which intent 'PetMatchIntent' "
     f"does not have"),
    (lambda m: m['languageModel']['intents'][3]['slots'][4]['samples'].append('{energy energy'),
     f"{LM}.intents[3].slots[4].samples[2] '{{energy energy' has an unbalanced brace"),
    (lambda m: m['languageModel']['intents'].append({'name': 'AMAZON.StopIntent'}),
     f"{LM}.intents[5] defines intent 'AMAZON.StopIntent' a second time"),
    (lambda m: m['languageModel']['intents'][3]['slots'].append({'name': 'size', 'type': 'sizeType'}),
     f"{LM}.intents[3].slots[7] repeats slot 'size'"),
    (lambda m: m['languageModel']['types'][2]['values'][0]['name'].update(synonyms='lazy'),
     f"{LM}.types[2].values[0].name.synonyms should be a list, not a string"),
    (lambda m: m['languageModel']['types'][0].update(values=[]),
     f"{LM}.types[0].values is empty; slot type 'articleType' needs at least one value"),
    (lambda m: m['languageModel']['types'][1]['values'][0].update(name={'value': '  '}),
     f"{LM}.types[1].values[0].name.value is empty"),
    (lambda m: m['languageModel'].update(intents={}), f"{LM}.intents should be a list, not an object"),
    (lambda m: m.pop('languageModel'), "interactionModel has no 'languageModel'"),
    (lambda m: m['dialog']['intents'][0].update(name='PetMatchIntnet'),
     "dialog.intents[0] configures intent 'PetMatchIntnet', which the language model does not define "
     "(did you mean 'PetMatchIntent'?)"),
    (lambda m: m['dialog']['intents'][0]['slots'][1].update(name='sizes'),
     "dialog.intents[0].slots[1] configures slot 'sizes', which intent 'PetMatchIntent' does not have"),
    (lambda m: m['dialog']['intents'][0]['slots'][1].update(type='energyType'),
     "dialog.intents[0].slots[1].type is 'energyType' but slot 'size' of intent 'PetMatchIntent' has type "
     "'sizeType'"),
    (lambda m: m['dialog']['intents'][0]['slots'][1].update(elicitationRequired='yes'),
     "dialog.intents[0].slots[1].elicitationRequired should be true or false, not a string"),
    (lambda m: m['dialog']['intents'][0]['slots'][2]['prompts'].update(elicitation='Elicit.Temper'),
     "dialog.intents[0].slots[2].prompts.elicitation refers to prompt 'Elicit.Temper', which is not in "
     "interactionModel.prompts"),
    (lambda m: m['prompts'][2].update(variations=[]), "prompts[2].variations is empty"),
    (lambda m: m['prompts'][0]['variations'][1].pop('value'), "prompts[0].variations[1] has no 'value'"),
])
def test_broken_current_model_names_file_place_and_problem(tmp_path, mutate, message):
    path = write(tmp_path / 'petmatch.json', _petmatch(mutate))
    with pytest.raises(ModelError) as error:
        load_model(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


@pytest.mark.parametrize('text, message', [
    ('{"intents": [\n  {"name": "A"}\n  {"name": "B"}]}', "invalid JSON at line 3 column 3: Expecting ','"),
    ('', "invalid JSON at line 1 column 1"),
    ('[1, 2]', "should hold a JSON object with 'interactionModel', 'languageModel' or 'intents' at the top, "
               "not a list"),
    ('{"manifest": {}}', "is a skill manifest (skill.json), not an interaction model"),
    ('{"interactionModel": []}', "interactionModel should be an object, not a list"),
    ('{"slots": []}', "has none of 'interactionModel', 'languageModel' or 'intents'"),
    ('{"intents": [{"name": "A", "samples": ["x", 3]}]}', "intents[0].samples[1] should be a string, not int"),
    ('{"intents": [7]}', "intents[0] should be an object, not int"),
    ('{"intents": [{"name": "A", "slots": [{"name": "s", "type": null}]}]}',
     "intents[0].slots[0].type should be a string, not null"),
])
def test_broken_json_files(tmp_path, text, message):
    path = write(tmp_path / 'model.json', text)
    with pytest.raises(ModelError) as error:
        load_model(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_utterances_file_passed_as_model_gets_a_hint():
    with pytest.raises(ModelError, match=r"SampleUtterances.txt: invalid JSON at line 1 column 1: .*load"):
        load_model(legacy_model('tidePooler', 'SampleUtterances.txt'))


@pytest.fixture
def legacy_dir(tmp_path):
    shutil.copytree(legacy_model('tidePooler'), tmp_path / 'tide')
    return tmp_path / 'tide'


@pytest.mark.parametrize('utterances, message', [
    ('DialogTideIntent {City}\nFooIntent tell me\n', "SampleUtterances.txt line 2: intent 'FooIntent' is not in "
                                                     "IntentSchema.json"),
    ('\n\nOneshotTideIntnet when is high tide\n', "line 3: intent 'OneshotTideIntnet' is not in IntentSchema.json "
                                                  "(did you mean 'OneshotTideIntent'?)"),
    ('OneshotTideIntent tides for {Town}\n', "line 1: utterance 'tides for {Town}' refers to slot {Town}, which "
                                             "intent 'OneshotTideIntent' does not have"),
    ('SupportedCitiesIntent cities in {State}\n', "which intent 'SupportedCitiesIntent' does not have; "
                                                  "it has no slots"),
    ('OneshotTideIntent tides for {city}\n', "did you mean 'City'?"),
    ('DialogTideIntent {City\n', "line 1: utterance '{City' has an unbalanced brace"),
    ('DialogTideIntent {}\n', "has an empty slot reference"),
    ('DialogTideIntent {City}\nDialogTideIntent   \n', "line 2: 'DialogTideIntent' has no utterance after the "
                                                        "intent name"),
])
def test_broken_sample_utterances(legacy_dir, utterances, message):
    write(legacy_dir / 'SampleUtterances.txt', utterances)
    with pytest.raises(ModelError) as error:
        load_model(legacy_dir)
    assert str(error.value).startswith(str(legacy_dir / 'SampleUtterances.txt'))
    assert message in str(error.value)


def test_broken_custom_slot_types(legacy_dir):
    write(legacy_dir / 'customSlotTypes' / 'LIST_OF_STATES', '\n  \n')
    with pytest.raises(ModelError, match=r"customSlotTypes/LIST_OF_STATES: slot type 'LIST_OF_STATES' has no "
                                         r"values; add one value per line"):
        load_model(legacy_dir)

    (legacy_dir / 'customSlotTypes' / 'LIST_OF_STATES').unlink()
    with pytest.raises(ModelError) as error:
        load_model(legacy_dir)
    assert str(error.value) == (
        f"{legacy_dir / 'IntentSchema.json'}: intents[0].slots[1] slot 'State' of intent 'OneshotTideIntent' "
        f"has type 'LIST_OF_STATES', which is neither built-in (AMAZON.*) nor defined in "
        f"{legacy_dir / 'customSlotTypes'}/")

    write(legacy_dir / 'customSlotTypes' / 'LIST_OF_STATES.txt', 'oregon\n')
    write(legacy_dir / 'customSlotTypes' / 'LIST_OF_STATES', 'maine\n')
    with pytest.raises(ModelError, match="slot type 'LIST_OF_STATES' is defined by two files"):
        load_model(legacy_dir)

    with pytest.raises(ModelError, match="is not a directory"):
        load_legacy(legacy_dir / 'IntentSchema.json', None, legacy_dir / 'SampleUtterances.txt')


def test_broken_intent_schema(legacy_dir):
    write(legacy_dir / 'IntentSchema.json', {'intents': [{'intent': 'A'}, {'intent': 'B', 'slots': {}}]})
    with pytest.raises(ModelError, match=r"IntentSchema.json: intents\[1\].slots should be a list, not an object"):
        load_model(legacy_dir)
    write(legacy_dir / 'IntentSchema.json', {'intents': [{'intent': 'A'}, {'slots': []}]})
    with pytest.raises(ModelError, match=r"IntentSchema.json: intents\[1\] has no 'intent'"):
        load_model(legacy_dir)


def test_unreadable_paths(tmp_path):
    with pytest.raises(ModelError, match="holds no interaction model; expected IntentSchema.json"):
        load_model(tmp_path)
    with pytest.raises(ModelError, match="missing.json: no such file or directory"):
        load_model(tmp_path / 'missing.json')
    write(tmp_path / 'notes.json', '{"description": "not a model"}')
    with pytest.raises(ModelError, match="holds no interaction model"):
        load_model(tmp_path)

    (tmp_path / 'en-US.json').write_bytes(b'{"intents": [{"name": "Caf\xe9Intent"}]}')
    with pytest.raises(ModelError, match=r"en-US.json: is not UTF-8 text \(bad byte at offset 26\)"):
        load_model(tmp_path)

    write(tmp_path / 'en-US.json', '{"intents": ')
    with pytest.raises(ModelError, match=r"en-US.json: invalid JSON at line 1"):
        load_model(tmp_path)  # the broken model is reported, not "no model found"


def _mutations(node, path=()):
    """Every way of deleting a key or giving it a value of the wrong kind, as (path, action) pairs."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,), 'delete'
            yield path + (key,), 'wrong'
            yield from _mutations(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            yield path + (i,), 'wrong'
            yield from _mutations(value, path + (i,))


@pytest.mark.parametrize('name', ['petmatch.en-US.json', 'sauce-boss.en-US.json'])
def test_any_damage_raises_model_error_or_loads(tmp_path, name):
    original = json.loads(models(name).read_text())
    path = tmp_path / name
    failures = 0
    for keys, action in _mutations(original):
        data = copy.deepcopy(original)
        parent = data
        for key in keys[:-1]:
            parent = parent[key]
        if action == 'delete':
            del parent[keys[-1]]
        else:
            parent[keys[-1]] = 7 if isinstance(parent[keys[-1]], (str, dict, list)) else 'seven'
        path.write_text(json.dumps(data))
        try:
            load_model(path)
        except ModelError as e:
            failures += 1
            assert str(e).startswith(f"{path}: "), e
    assert failures > 100
