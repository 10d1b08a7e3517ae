"""Read a skill's interaction model, in whichever format Amazon used when it was written.

Skills in the wild carry one of three shapes: the skill-package JSON
(``interactionModel.languageModel`` plus optional ``dialog`` and ``prompts``), the 2017
Skill Builder JSON (a bare ``languageModel``, or just ``{"intents": ..., "types": ...}``), and the
original ``IntentSchema.json`` + ``SampleUtterances.txt`` + ``customSlotTypes/`` files that
alexafsm 0.1.11 skills shipped. Every consumer (validator, chat console, fuzzer) wants the same
answers from them, so they all become one immutable :class:`InteractionModel`.

This module is a leaf: it imports nothing else from alexafsm but the core's did-you-mean rule.
"""
import dataclasses
import json
import os
import re
from dataclasses import dataclass
from dataclasses import field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import Iterator
from typing import List
from typing import Mapping
from typing import NoReturn
from typing import Optional
from typing import Set
from typing import Tuple
from typing import Type
from typing import TypeVar
from typing import Union

from alexafsm._hints import did_you_mean
from alexafsm.errors import ModelError

#: A file or directory to load: a string or any path object, as ``open`` takes.
_PathLike = Union[str, 'os.PathLike[str]']

__all__ = ['load_model', 'load_legacy', 'InteractionModel', 'Intent', 'Slot', 'SlotType',
           'SlotValue', 'Prompt', 'PromptVariation', 'Validation', 'ModelError', 'BUILTIN_PREFIX',
           'LOCALES', 'DEFAULT_LOCALE']

_T = TypeVar('_T')
BUILTIN_PREFIX = 'AMAZON.'
_SLOT_REF = re.compile(r'\{([^{}]*)\}')
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _norm(text: str) -> str:
    return ' '.join(text.split()).casefold()


@dataclass(frozen=True)
class SlotValue:
    """One value of a custom slot type: what entity resolution reports as the canonical match."""

    id: Optional[str]
    value: str
    synonyms: Tuple[str, ...] = ()


@dataclass(frozen=True)
class SlotType:
    """A slot type a slot refers to; built-in (``AMAZON.*``) types carry values only if extended."""

    name: str
    values: Tuple[SlotValue, ...] = ()

    @property
    def is_builtin(self) -> bool:
        """Amazon supplies built-in types' values: an empty ``values`` is no authoring gap."""
        return self.name.startswith(BUILTIN_PREFIX)

    @cached_property
    def _index(self) -> Dict[str, SlotValue]:
        index: Dict[str, SlotValue] = {}
        # Canonical values win over synonyms, earlier entries over later ones, as in the console.
        for value in self.values:
            index.setdefault(_norm(value.value), value)
        for value in self.values:
            for synonym in value.synonyms:
                index.setdefault(_norm(synonym), value)
        return index

    def resolve(self, spoken: str) -> Optional[SlotValue]:
        """Find the value Alexa's entity resolution would report for ``spoken`` (ER_SUCCESS_MATCH).

        ``None`` means ER_SUCCESS_NO_MATCH. Matching ignores case and surrounding or repeated
        whitespace, because that is how the text arrives from speech recognition.
        """
        return self._index.get(_norm(spoken))


@dataclass(frozen=True)
class PromptVariation:
    """One wording of a prompt; ``type`` (``PlainText`` or ``SSML``) says how to speak it."""

    type: str
    value: str


@dataclass(frozen=True)
class Prompt:
    """A prompt Alexa speaks during dialog delegation, with the variations it picks from."""

    id: str
    variations: Tuple[PromptVariation, ...]

    @property
    def text(self) -> str:
        """The first variation, so consoles and tests show the same line every run.

        Alexa itself picks a variation at random.
        """
        return self.variations[0].value

    @property
    def texts(self) -> Tuple[str, ...]:
        """Every wording, for callers checking a reply against any prompt Alexa might have used."""
        return tuple(v.value for v in self.variations)


@dataclass(frozen=True)
class Validation:
    """A dialog slot validation rule (``hasEntityResolutionMatch``...) and the prompt it re-asks."""

    type: str
    prompt: Optional[Prompt] = None


@dataclass(frozen=True)
class Slot:
    """A slot of an intent merged with its ``dialog`` settings: one object answers both."""

    name: str
    type: str
    samples: Tuple[str, ...] = ()
    elicitation_required: bool = False
    confirmation_required: bool = False
    elicitation_prompt: Optional[Prompt] = None
    confirmation_prompt: Optional[Prompt] = None
    validations: Tuple[Validation, ...] = ()


@dataclass(frozen=True)
class Intent:
    """An intent with its slots, sample utterances and dialog settings."""

    name: str
    slots: Tuple[Slot, ...] = ()
    samples: Tuple[str, ...] = ()
    confirmation_required: bool = False
    confirmation_prompt: Optional[Prompt] = None
    delegation_strategy: Optional[str] = None

    @property
    def is_builtin(self) -> bool:
        """Built-in intents need no samples, so checks for missing utterances must skip them."""
        return self.name.startswith(BUILTIN_PREFIX)

    @property
    def slot_names(self) -> Tuple[str, ...]:
        """Slot names in model order, for comparing against what a skill's states read."""
        return tuple(s.name for s in self.slots)

    @property
    def required_slots(self) -> Tuple[Slot, ...]:
        """Slots the dialog model elicits before the skill sees the intent as COMPLETED."""
        return tuple(s for s in self.slots if s.elicitation_required)

    def slot(self, name: str) -> Optional[Slot]:
        """Look a slot up the way skill code spells it: exact name first, then ignoring case."""
        for slot in self.slots:
            if slot.name == name:
                return slot
        folded = name.casefold()
        return next((s for s in self.slots if s.name.casefold() == folded), None)


@dataclass(frozen=True)
class InteractionModel:
    """Everything about a skill's voice interface that the skill's code must agree with.

    ``intents`` and ``types`` are read-only mappings in file order; ``types`` also holds every
    built-in type a slot refers to, valueless unless the model extends it. ``source`` is the file
    the model was read from.
    """

    invocation_name: Optional[str]
    intents: Mapping[str, Intent] = field(hash=False)
    types: Mapping[str, SlotType] = field(hash=False)
    source: str
    prompts: Mapping[str, Prompt] = field(default_factory=dict, hash=False)
    delegation_strategy: Optional[str] = None
    #: What reading a legacy model passed over, one sentence each: a file that matches nothing,
    #: a custom slot type whose values were only in the old console. ``validate`` reports them.
    warnings: Tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        for name in ('intents', 'types', 'prompts'):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    @property
    def intent_names(self) -> Tuple[str, ...]:
        """Intent names in file order, for diffing against the intents a skill handles."""
        return tuple(self.intents)

    def intent(self, name: str) -> Optional[Intent]:
        """The intent Alexa would send as ``name`` (case-sensitive on the wire), or None."""
        return self.intents.get(name)

    def slot_type(self, name: str) -> Optional[SlotType]:
        """The slot type ``name``, custom or referenced built-in; None if no slot can carry it."""
        return self.types.get(name)

    def resolve(self, type_name: str, spoken: str) -> Optional[SlotValue]:
        """Entity-resolve ``spoken`` against ``type_name``: ER_SUCCESS_MATCH's value, or None.

        Raises ModelError for a type the model does not have, because resolving against it would
        silently report NO_MATCH for a slot Alexa could never have filled.
        """
        slot_type = self.types.get(type_name)
        if slot_type is None:
            known = ', '.join(self.types) or 'none'
            raise ModelError(f"{self.source}: there is no slot type {type_name!r}"
                             f"{did_you_mean(type_name, self.types)}; its types are {known}")
        return slot_type.resolve(spoken)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


_KINDS: Dict[Type[Any], str] = {str: 'a string', list: 'a list', dict: 'an object',
                                bool: 'true or false'}


def _kind(value: Any) -> str:
    if value is None:
        return 'null'
    return next((name for t, name in _KINDS.items() if type(value) is t), type(value).__name__)


class _Doc:
    """Type-checked access to parsed JSON that turns every surprise into a located ModelError."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> NoReturn:
        prefix = f"{self.source}: {where}" if where else f"{self.source}:"
        raise ModelError(f"{prefix} {problem}")

    def get(self, obj: Mapping[str, Any], key: str, where: str, kind: Type[Any], *,
            default: Any = ...) -> Any:
        if key not in obj or (obj[key] is None and default is not ...):
            if default is ...:
                self.fail(where or 'the top level', f"has no {key!r}")
            return default
        value = obj[key]
        at = _at(where, key)
        if type(value) is not kind:
            self.fail(at, f"should be {_KINDS[kind]}, not {_kind(value)}")
        if kind is str and not value.strip():
            self.fail(at, "is empty")
        return value

    def items(self, obj: Mapping[str, Any], key: str, where: str, *,
              required: bool = False) -> List[Tuple[str, Dict[str, Any]]]:
        """Pair each object of a list with its location, so nested errors can say where they are."""
        values = self.get(obj, key, where, list, **({} if required else {'default': []}))
        at = _at(where, key)
        out = []
        for i, item in enumerate(values):
            if type(item) is not dict:
                self.fail(f"{at}[{i}]", f"should be an object, not {_kind(item)}")
            out.append((f"{at}[{i}]", item))
        return out

    def named(self, obj: Mapping[str, Any], key: str, where: str, name_key: str, what: str,
              fix: str, *, required: bool = False) -> Iterator[Tuple[str, Dict[str, Any], str]]:
        """Each definition of a list with its location and name; a name defined twice fails."""
        seen: Set[str] = set()
        for at, raw in self.items(obj, key, where, required=required):
            name = self.get(raw, name_key, at, str)
            if name in seen:
                self.fail(at, f"defines {what} {name!r} a second time; {fix}")
            seen.add(name)
            yield at, raw, name

    def defined(self, table: Mapping[str, _T], name: str, where: str, problem: str) -> _T:
        """What ``name`` refers to in ``table``; an undefined name fails with the closest one."""
        found = table.get(name)
        if found is None:
            self.fail(where, f"{problem}{did_you_mean(name, table)}")
        return found

    def strings(self, obj: Mapping[str, Any], key: str, where: str) -> Tuple[str, ...]:
        values = self.get(obj, key, where, list, default=[])
        for i, value in enumerate(values):
            if type(value) is not str:
                self.fail(f"{_at(where, key)}[{i}]", f"should be a string, not {_kind(value)}")
        return tuple(values)


def _check_sample(sample: str, intent: str, slot_names: Iterable[str],
                  fail: Callable[[str], NoReturn]) -> str:
    """Check the ``{Slot}`` references of an utterance.

    Returns it with legacy ``{literal|Slot}`` references written ``{Slot}``.
    """
    names = list(slot_names)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).rpartition('|')[2].strip()
        if not name:
            fail("has an empty slot reference '{}'")
        if name not in names:
            hint = did_you_mean(name, names) if names else '; it has no slots'
            fail(f"refers to slot {{{name}}}, which intent {intent!r} does not have{hint}")
        return '{' + name + '}'

    checked = _SLOT_REF.sub(replace, sample)
    outside = _SLOT_REF.sub('', sample)
    if '{' in outside or '}' in outside:
        fail("has an unbalanced brace; slot references look like {SlotName}")
    return checked


def _parse_types(doc: _Doc, container: Mapping[str, Any], where: str) -> Dict[str, SlotType]:
    types: Dict[str, SlotType] = {}
    for at, raw, name in doc.named(container, 'types', where, 'name', 'slot type',
                                   'merge the two definitions'):
        if 'values' not in raw and 'valueSupplier' in raw:
            types[name] = SlotType(name)  # catalog-backed: values live outside the model
            continue
        values = []
        for value_at, value in doc.items(raw, 'values', at, required=True):
            id_ = doc.get(value, 'id', value_at, str, default=None)
            spoken = doc.get(value, 'name', value_at, dict)
            text = doc.get(spoken, 'value', f"{value_at}.name", str)
            synonyms = doc.strings(spoken, 'synonyms', f"{value_at}.name")
            values.append(SlotValue(id_, text.strip(),
                                    tuple(s.strip() for s in synonyms if s.strip())))
        if not values:
            doc.fail(f"{at}.values", f"is empty; slot type {name!r} needs at least one value")
        types[name] = SlotType(name, tuple(values))
    return types


def _raiser(prefix: str) -> Callable[[str], NoReturn]:
    """A ``fail`` for ``_check_sample`` that raises ModelError, the problem after ``prefix``."""
    def fail(problem: str) -> NoReturn:
        raise ModelError(f"{prefix} {problem}")
    return fail


def _checked_samples(doc: _Doc, samples_at: str, samples: Tuple[str, ...], intent: str,
                     slot_names: List[str]) -> Tuple[str, ...]:
    """Each sample checked by ``_check_sample``; a bad one fails at its index in ``samples_at``."""
    return tuple(_check_sample(sample, intent, slot_names,
                               _doc_raiser(doc, f"{samples_at}[{k}]", repr(sample)))
                 for k, sample in enumerate(samples))


def _doc_raiser(doc: _Doc, where: str, what: str) -> Callable[[str], NoReturn]:
    """A ``fail`` that reports through ``doc.fail`` at ``where``, the problem after ``what``."""
    def fail(problem: str) -> NoReturn:
        doc.fail(where, f"{what} {problem}")
    return fail


def _parse_intents(doc: _Doc, container: Mapping[str, Any], where: str,
                   name_key: str) -> Dict[str, Intent]:
    intents: Dict[str, Intent] = {}
    for at, raw, name in doc.named(container, 'intents', where, name_key, 'intent',
                                   'merge the two definitions', required=True):
        slots: List[Slot] = []
        for slot_at, raw_slot in doc.items(raw, 'slots', at):
            slot_name = doc.get(raw_slot, 'name', slot_at, str)
            if any(s.name == slot_name for s in slots):
                doc.fail(slot_at, f"repeats slot {slot_name!r} of intent {name!r}; "
                                  f"slot names must be unique")
            slots.append(Slot(slot_name, doc.get(raw_slot, 'type', slot_at, str),
                              doc.strings(raw_slot, 'samples', slot_at)))
        names = [s.name for s in slots]

        slots = [dataclasses.replace(s, samples=_checked_samples(doc, f"{at}.slots[{i}].samples",
                                                                 s.samples, name, names))
                 for i, s in enumerate(slots)]
        samples = _checked_samples(doc, f"{at}.samples", doc.strings(raw, 'samples', at),
                                   name, names)
        intents[name] = Intent(name, tuple(slots), samples)
    return intents


def _add_builtin_types(doc: _Doc, intents: Mapping[str, Intent], types: Dict[str, SlotType],
                       where: str, defined_in: str,
                       valueless: Optional[List[str]] = None) -> None:
    """Add the built-in types slots use; an undefined custom type fails, or with ``valueless``
    (a legacy schema, whose types were typed into the console) is added without values."""
    for i, intent in enumerate(intents.values()):
        for j, slot in enumerate(intent.slots):
            if slot.type in types:
                continue
            if slot.type.startswith(BUILTIN_PREFIX):
                types[slot.type] = SlotType(slot.type)
                continue
            if valueless is not None:
                types[slot.type] = SlotType(slot.type)
                valueless.append(
                    f"{doc.source}: slot {slot.name!r} of intent {intent.name!r} has custom type "
                    f"{slot.type!r}, whose values are in no file beside the schema (the old "
                    f"console kept them): the type has no values here, so entity resolution "
                    f"never matches; add {defined_in} with one value per line")
                continue
            doc.fail(f"{where}[{i}].slots[{j}]",
                     f"slot {slot.name!r} of intent {intent.name!r} has type {slot.type!r}, which "
                     f"is neither built-in (AMAZON.*) nor defined in {defined_in}"
                     f"{did_you_mean(slot.type, types)}")


def _parse_prompts(doc: _Doc, container: Mapping[str, Any], where: str) -> Dict[str, Prompt]:
    prompts: Dict[str, Prompt] = {}
    for at, raw, id_ in doc.named(container, 'prompts', where, 'id', 'prompt',
                                  'prompt ids must be unique'):
        variations = tuple(PromptVariation(doc.get(v, 'type', v_at, str),
                                           doc.get(v, 'value', v_at, str))
                           for v_at, v in doc.items(raw, 'variations', at, required=True))
        if not variations:
            doc.fail(f"{at}.variations", f"is empty; prompt {id_!r} needs at least one wording")
        prompts[id_] = Prompt(id_, variations)
    return prompts


def _apply_dialog(doc: _Doc, dialog: Mapping[str, Any], where: str, intents: Dict[str, Intent],
                  prompts: Mapping[str, Prompt], prompts_where: str) -> None:
    def prompt(obj: Mapping[str, Any], key: str, at: str) -> Optional[Prompt]:
        id_ = doc.get(obj, key, at, str, default=None)
        if id_ is None:
            return None
        return doc.defined(prompts, id_, f"{at}.{key}",
                           f"refers to prompt {id_!r}, which is not in {prompts_where}")

    for at, raw in doc.items(dialog, 'intents', where):
        name = doc.get(raw, 'name', at, str)
        intent = doc.defined(intents, name, at, f"configures intent {name!r}, which the language "
                                                f"model does not define")
        intent_prompts = doc.get(raw, 'prompts', at, dict, default={})
        slots = {s.name: s for s in intent.slots}
        for slot_at, raw_slot in doc.items(raw, 'slots', at):
            slot_name = doc.get(raw_slot, 'name', slot_at, str)
            slot = doc.defined(slots, slot_name, slot_at, f"configures slot {slot_name!r}, which "
                                                          f"intent {name!r} does not have")
            type_ = doc.get(raw_slot, 'type', slot_at, str, default=slot.type)
            if type_ != slot.type:
                doc.fail(f"{slot_at}.type", f"is {type_!r} but slot {slot_name!r} of intent "
                                            f"{name!r} has type {slot.type!r} in the language "
                                            f"model; make them agree")
            slot_prompts = doc.get(raw_slot, 'prompts', slot_at, dict, default={})
            validations = tuple(Validation(doc.get(v, 'type', v_at, str), prompt(v, 'prompt', v_at))
                                for v_at, v in doc.items(raw_slot, 'validations', slot_at))
            slots[slot_name] = dataclasses.replace(
                slot,
                elicitation_required=doc.get(raw_slot, 'elicitationRequired', slot_at, bool,
                                             default=False),
                confirmation_required=doc.get(raw_slot, 'confirmationRequired', slot_at, bool,
                                              default=False),
                elicitation_prompt=prompt(slot_prompts, 'elicitation', f"{slot_at}.prompts"),
                confirmation_prompt=prompt(slot_prompts, 'confirmation', f"{slot_at}.prompts"),
                validations=validations)
        intents[name] = dataclasses.replace(
            intent,
            slots=tuple(slots.values()),
            confirmation_required=doc.get(raw, 'confirmationRequired', at, bool, default=False),
            confirmation_prompt=prompt(intent_prompts, 'confirmation', f"{at}.prompts"),
            delegation_strategy=doc.get(raw, 'delegationStrategy', at, str, default=None))


def _is_intent_schema(data: Any) -> bool:
    """Legacy IntentSchema.json names intents with ``intent``; every later format uses ``name``."""
    intents = data.get('intents') if type(data) is dict else None
    return type(intents) is list and any(type(i) is dict and 'intent' in i and 'name' not in i
                                         for i in intents)


def _from_json(data: Any, source: str, extra_types: Mapping[str, SlotType] = _EMPTY,
               extra_types_from: str = '', valueless: Optional[List[str]] = None
               ) -> InteractionModel:
    """Build a model from any JSON shape; ``extra_types`` come from legacy customSlotTypes/.

    ``valueless`` (lenient legacy reading) collects a warning for each custom type that has no
    values instead of failing.
    """
    doc = _Doc(source)
    if type(data) is not dict:
        doc.fail('', f"should hold a JSON object with 'interactionModel', 'languageModel' or "
                     f"'intents' at the top, not {_kind(data)}")
    if 'manifest' in data and 'intents' not in data:
        doc.fail('', "is a skill manifest (skill.json), not an interaction model; load "
                     "skill-package/interactionModels/custom/<locale>.json instead")
    container, where = data, ''
    if 'interactionModel' in data:
        container, where = doc.get(data, 'interactionModel', '', dict), 'interactionModel'
    if 'languageModel' in container or where:
        language = doc.get(container, 'languageModel', where, dict)
        language_where = _at(where, 'languageModel')
    elif 'intents' in container:
        language, language_where = container, ''
    else:
        doc.fail('', "has none of 'interactionModel', 'languageModel' or 'intents' at the top, "
                     "so it is not an interaction model")

    name_key = 'intent' if _is_intent_schema(language) else 'name'
    intents = _parse_intents(doc, language, language_where, name_key)
    types = _parse_types(doc, language, language_where)
    for name, slot_type in extra_types.items():
        if name in types:
            doc.fail(_at(language_where, 'types'),
                     f"defines {name!r}, which {extra_types_from} defines too; keep one")
        types[name] = slot_type
    types_where = _at(language_where, 'types')
    defined_in = (' or '.join(filter(None, [types_where if 'types' in language else '',
                                            extra_types_from]))
                  or f"{types_where} (there is none)")
    _add_builtin_types(doc, intents, types, _at(language_where, 'intents'), defined_in,
                       valueless)

    prompts = _parse_prompts(doc, container, where)
    dialog = doc.get(container, 'dialog', where, dict, default=None)
    delegation = None
    if dialog is not None:
        dialog_where = _at(where, 'dialog')
        _apply_dialog(doc, dialog, dialog_where, intents, prompts, _at(where, 'prompts'))
        delegation = doc.get(dialog, 'delegationStrategy', dialog_where, str, default=None)
    invocation = doc.get(language, 'invocationName', language_where, str, default=None)
    return InteractionModel(invocation, intents, types, source, prompts, delegation)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding='utf-8-sig')
    except UnicodeDecodeError as e:
        raise ModelError(f"{path}: is not UTF-8 text (bad byte at offset {e.start}); "
                         f"save it as UTF-8") from None
    except OSError as e:
        raise ModelError(f"{path}: cannot be read ({e.strerror or e})") from None


def _read_json(path: Path) -> Any:
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        hint = '' if text.lstrip().startswith(('{', '[')) else \
            '; legacy SampleUtterances.txt and slot type files are read by loading their directory'
        raise ModelError(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: "
                         f"{e.msg}{hint}") from None


def _squash(name: str) -> str:
    return name.casefold().replace('-', '').replace('_', '')


def _sibling(directory: Path, names: Set[str], *, is_dir: bool) -> Optional[Path]:
    """Find a legacy file however the skill spelled it (SampleUtterances.txt, sample_utterances)."""
    found = [p for p in sorted(directory.iterdir())
             if _squash(p.name) in names and p.is_dir() == is_dir]
    return found[0] if found else None


#: Alexa's locales, as legacy files spell them in a suffix: SampleUtterances_en_US.txt.
LOCALES = ('en-US', 'en-GB', 'en-CA', 'en-AU', 'en-IN', 'de-DE', 'fr-FR', 'fr-CA', 'it-IT',
           'es-ES', 'es-MX', 'es-US', 'ja-JP', 'pt-BR', 'hi-IN', 'ar-SA', 'nl-NL')
DEFAULT_LOCALE = 'en-US'
_LOCALE_SUFFIX = re.compile(r'^(?P<stem>.+?)[_-](?P<lang>[a-z]{2})[_-](?P<region>[a-z]{2})$', re.I)
_UTTERANCES = 'sampleutterances'
_MULTI_TYPE_FILES = {'customslottype', 'customslottypes', 'slottypes', 'customslotvalues'}


def _locale_of(name: str) -> Tuple[str, Optional[str]]:
    """A legacy file's name without '.txt' and locale suffix, and that locale (None: any)."""
    stem = name[:-4] if name.casefold().endswith('.txt') else name
    found = _LOCALE_SUFFIX.match(stem)
    if found:
        locale = f"{found['lang'].lower()}-{found['region'].upper()}"
        if locale in LOCALES:
            return found['stem'], locale
    return stem, None


def _type_name(stem: str, wanted: Iterable[str]) -> str:
    """The custom type a legacy type file holds: 'slotValues-LIST_OF_UNITS' holds LIST_OF_UNITS.

    Matched against the types the schema's slots use, exactly, then ignoring case and
    separators; the file's own name when none matches.
    """
    names = list(wanted)
    candidates = [stem]
    bare = re.sub(r'^slot[_-]?values[_-]', '', stem, flags=re.I)
    bare = re.sub(r'[_-]?custom[_-]?slot[_-]?type$', '', bare, flags=re.I) or bare
    candidates.append(bare)
    for candidate in candidates:
        if candidate in names:
            return candidate
    for candidate in candidates:
        for name in names:
            if _squash(name) == _squash(candidate):
                return name
    return bare


def _values(path: Path, name: str) -> SlotType:
    values = [line.strip() for line in _read_text(path).splitlines() if line.strip()]
    if not values:
        raise ModelError(f"{path}: slot type {name!r} has no values; add one value per line")
    return SlotType(name, tuple(SlotValue(None, v) for v in values))


def _multi_type(path: Path, wanted: Iterable[str]) -> Optional[Dict[str, SlotType]]:
    """The types of one file that holds several: each type's name on a line, its values below.

    A header is a type some slot uses (``LIST_OF_UNITS``, ``LIST_OF_UNITS:`` or
    ``[LIST_OF_UNITS]``); None when the file does not start with one.
    """
    names = {_squash(n): n for n in wanted}
    types: Dict[str, List[str]] = {}
    current: Optional[List[str]] = None
    for line in _read_text(path).splitlines():
        text = line.strip()
        if not text:
            continue
        header = names.get(_squash(text.strip('[]:').strip()))
        if header is not None:
            if header in types:
                raise ModelError(f"{path}: slot type {header!r} has two sections; keep one")
            current = types[header] = []
        elif current is None:
            return None
        else:
            current.append(text)
    for name, values in types.items():
        if not values:
            raise ModelError(f"{path}: slot type {name!r} has no values; add one value per "
                             f"line below its name")
    return {name: SlotType(name, tuple(SlotValue(None, v) for v in values))
            for name, values in types.items()}


class _Legacy:
    """What the files of an old skill hold for one locale: its types, its utterance file, and
    a warning for each file that matches nothing (or only another locale's nothing)."""

    def __init__(self, locale: str, wanted: Iterable[str]) -> None:
        self.locale = locale
        self.wanted = list(wanted)
        self.types: Dict[str, SlotType] = {}
        self._type_files: Dict[str, Tuple[Optional[str], Path]] = {}
        self.warnings: List[str] = []

    def add_type_file(self, path: Path, stem: str, locale: Optional[str],
                      unmatched: str) -> bool:
        """Read a type file for this locale (a locale-specific one wins over a plain one)."""
        name = _type_name(stem, self.wanted)
        if locale is not None and locale != self.locale:
            return name in self.wanted or not self.wanted  # another locale's: not unmatched
        if name not in self.wanted and unmatched == 'skip':
            return False
        if name not in self.wanted and unmatched == 'warn':
            self.warnings.append(f"{path}: defines slot type {name!r}, which no slot of the "
                                 f"schema uses")
        known = self._type_files.get(name)
        if known is not None:
            if known[0] == locale:
                raise ModelError(f"{path}: slot type {name!r} is defined by two files in "
                                 f"{path.parent}; keep one")
            if known[0] is not None:  # the locale's own file was read already
                return True
        self._type_files[name] = (locale, path)
        self.types[name] = _values(path, name)
        return True

    def add_multi_type_file(self, path: Path) -> bool:
        found = _multi_type(path, self.wanted)
        if found is None:
            return False
        for name, slot_type in found.items():
            if name in self.types:
                raise ModelError(f"{path}: defines slot type {name!r}, which "
                                 f"{self._type_files[name][1]} defines too; keep one")
            self._type_files[name] = (None, path)
            self.types[name] = slot_type
        return True


def _schema_types(data: Any) -> List[str]:
    """The custom types the slots of a legacy schema use, read leniently (checked later)."""
    names: List[str] = []
    intents = data.get('intents') if isinstance(data, dict) else None
    for intent in intents if isinstance(intents, list) else []:
        slots = intent.get('slots') if isinstance(intent, dict) else None
        for slot in slots if isinstance(slots, list) else []:
            kind = slot.get('type') if isinstance(slot, dict) else None
            if isinstance(kind, str) and not kind.startswith(BUILTIN_PREFIX) \
                    and kind not in names:
                names.append(kind)
    return names


def _load_slot_type_dir(directory: Path, legacy: Optional[_Legacy] = None
                        ) -> Dict[str, SlotType]:
    if not directory.is_dir():
        raise ModelError(f"{directory}: is not a directory; custom slot types are one file per "
                         f"type in a directory")
    legacy = legacy or _Legacy(DEFAULT_LOCALE, ())
    for path in sorted(directory.iterdir()):
        if path.name.startswith('.') or not path.is_file():
            continue
        stem, locale = _locale_of(path.name)
        if locale is None and _squash(stem) in _MULTI_TYPE_FILES and \
                legacy.add_multi_type_file(path):
            continue
        legacy.add_type_file(path, stem, locale, 'warn' if legacy.wanted else 'keep')
    return legacy.types


def _attach_utterances(model: InteractionModel, path: Path, schema_name: str) -> InteractionModel:
    samples: Dict[str, List[str]] = {name: list(intent.samples)
                                      for name, intent in model.intents.items()}
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        where = f"{path} line {lineno}:"
        parts = line.split(None, 1)
        if not parts:
            continue
        if len(parts) == 1:
            raise ModelError(f"{where} {parts[0]!r} has no utterance after the intent name; "
                             f"lines look like 'IntentName words {{Slot}} ...'")
        name, utterance = parts[0], parts[1].strip()
        intent = model.intents.get(name)
        if intent is None:
            raise ModelError(f"{where} intent {name!r} is not in {schema_name}"
                             f"{did_you_mean(name, model.intents)}")

        samples[name].append(_check_sample(utterance, name, intent.slot_names,
                                           _raiser(f"{where} utterance {utterance!r}")))
    intents = {name: dataclasses.replace(intent, samples=tuple(samples[name]))
               for name, intent in model.intents.items()}
    return dataclasses.replace(model, intents=intents)


def load_legacy(intent_schema: _PathLike, sample_utterances: Optional[_PathLike] = None,
                custom_slot_types_dir: Optional[_PathLike] = None, *,
                locale: str = DEFAULT_LOCALE, strict: bool = True) -> InteractionModel:
    """Load a pre-2017 skill (the 0.1.11 layout) from its separate files into the one modern shape.

    The schema alone cannot define custom types, so every custom type a slot uses must have a
    file in ``custom_slot_types_dir`` (named after the type, optionally with ``.txt`` and a
    locale suffix such as ``_en_US``, of which ``locale``'s is read). With ``strict=False`` a
    type without a file is kept without values and said in the model's ``warnings``: the old
    console held such values, and 0.1.11's validate passed those skills.
    """
    schema = Path(intent_schema)
    data = _read_json(schema)
    legacy = _Legacy(locale, _schema_types(data))
    extra = (_load_slot_type_dir(Path(custom_slot_types_dir), legacy)
             if custom_slot_types_dir is not None else {})
    types_from = f"{custom_slot_types_dir}/" if custom_slot_types_dir is not None else \
        'a custom slot types directory (none was given)'
    return _legacy_model(data, schema, legacy, extra, types_from,
                         Path(sample_utterances) if sample_utterances is not None else None,
                         strict)


def _legacy_model(data: Any, schema: Path, legacy: _Legacy, extra: Mapping[str, SlotType],
                  types_from: str, utterances: Optional[Path], strict: bool
                  ) -> InteractionModel:
    valueless: Optional[List[str]] = None if strict else []
    model = _from_json(data, str(schema), extra, types_from, valueless)
    if utterances is not None:
        model = _attach_utterances(model, utterances, schema.name)
    warnings = tuple(legacy.warnings + (valueless or []))
    return dataclasses.replace(model, warnings=warnings) if warnings else model


def _load_legacy_folder(path: Path, locale: str, strict: bool) -> InteractionModel:
    """An IntentSchema.json with what lies beside it: utterances and types, per locale or not.

    Amazon's old samples named them ``SampleUtterances.txt`` or ``SampleUtterances_en_US.txt``,
    ``customSlotTypes/LIST_OF_X`` or ``LIST_OF_X_en_US.txt`` or ``slotValues-LIST_OF_X_en_US.txt``
    beside the schema, or put several types in one ``CustomSlotType.txt``. ``locale``'s files
    are read; a text file that matches nothing is said in ``warnings``.
    """
    data = _read_json(path)
    folder = path.parent
    legacy = _Legacy(locale, _schema_types(data))
    utterances: Dict[Optional[str], Path] = {}
    for candidate in sorted(folder.iterdir()):
        if candidate.is_dir() or candidate.name.startswith('.') or candidate == path:
            continue
        stem, file_locale = _locale_of(candidate.name)
        if _squash(stem) == _UTTERANCES:
            if file_locale in utterances:
                raise ModelError(f"{candidate}: is a second sample utterances file for "
                                 f"{file_locale or 'every locale'} in {folder}; keep one")
            utterances[file_locale] = candidate
            continue
        if not candidate.name.casefold().endswith('.txt'):
            continue
        if file_locale is None and _squash(stem) in _MULTI_TYPE_FILES and \
                legacy.add_multi_type_file(candidate):
            continue
        if not legacy.add_type_file(candidate, stem, file_locale, 'skip'):
            legacy.warnings.append(f"{candidate}: matches nothing: no sample utterances, and no "
                                   f"slot type of {path.name} (its custom types: "
                                   f"{', '.join(legacy.wanted) or 'none'})")
    slot_types = _sibling(folder, {'customslottypes', 'slottypes'}, is_dir=True)
    if slot_types is not None:
        _load_slot_type_dir(slot_types, legacy)
    chosen = utterances.get(locale) or utterances.get(None)
    if chosen is None and utterances:
        legacy.warnings.append(
            f"{folder}: has sample utterances for "
            f"{', '.join(sorted(str(k) for k in utterances))} but not for {locale}: no samples "
            f"were read; load another locale")
    types_from = f"{slot_types}/" if slot_types is not None else \
        f"a file {folder}/TYPE.txt or customSlotTypes/TYPE"
    return _legacy_model(data, path, legacy, legacy.types, types_from, chosen, strict)


def _load_file(path: Path, locale: str = DEFAULT_LOCALE, strict: bool = True
               ) -> InteractionModel:
    data = _read_json(path)
    if not _is_intent_schema(data):
        return _from_json(data, str(path))
    # An IntentSchema.json is only part of a legacy model: its utterances and types sit beside it.
    return _load_legacy_folder(path, locale, strict)


_MODEL_DIRS = ('', 'speechAssets', 'speech', 'skill-package/interactionModels/custom',
               'interactionModels/custom', 'models')


def _looks_like_model(data: Any) -> bool:
    return type(data) is dict and bool({'interactionModel', 'languageModel', 'intents'}
                                       & data.keys())


def _find_model_file(directory: Path) -> Path:
    """Pick the model file of a skill directory; en-US when a skill has several locales."""
    first_error: Optional[ModelError] = None
    for sub in _MODEL_DIRS:
        folder = directory / sub
        if not folder.is_dir():
            continue
        models = []
        for path in sorted(folder.glob('*.json')):
            try:
                if _looks_like_model(_read_json(path)):
                    models.append(path)
            except ModelError as e:
                first_error = first_error or e
        if len(models) == 1:
            return models[0]
        if models:
            preferred = [p for p in models if p.name.casefold() == 'en-us.json']
            if preferred:
                return preferred[0]
            names = ', '.join(p.name for p in models)
            raise ModelError(f"{folder}: holds several interaction models ({names}); "
                             f"pass the one to load")
    if first_error is not None:
        raise first_error
    raise ModelError(f"{directory}: holds no interaction model; expected IntentSchema.json "
                     f"(with SampleUtterances.txt and customSlotTypes/), "
                     f"skill-package/interactionModels/custom/<locale>.json or "
                     f"models/<locale>.json")


def load_model(path: _PathLike, *, locale: str = DEFAULT_LOCALE,
               strict: bool = True) -> InteractionModel:
    """Load an interaction model from a JSON file or a skill directory, whatever its format.

    The format is recognised from the content, so a renamed file still loads: a skill-package
    or Skill Builder JSON directly, an intent schema together with the legacy files beside it
    (``locale``'s, where they are per locale). ``strict=False`` keeps a legacy custom type
    without values as a warning instead of failing (see ``load_legacy``).
    """
    path = Path(path)
    if path.is_dir():
        return _load_file(_find_model_file(path), locale, strict)
    if not path.exists():
        raise ModelError(f"{path}: no such file or directory")
    return _load_file(path, locale, strict)
