"""The part of an interaction model a ``Form`` runs on, read by the core itself.

``alexafsm.tools.interaction_model`` reads every format Amazon ever used, for the tools; the
core may not import the tools (tests/test_layout.py), and a skill on AWS Lambda should not load
them. A form needs little: its intent's slots in model order, their types' ids and canonical
words, and the ``dialog`` section (required slots, confirmations, prompts, validation rules).
Only the skill-package JSON carries a ``dialog`` section, so only it is read here: a path to
``model/en-US.json`` (or to a skill package's ``interactionModels/custom`` folder with one
model), or the already parsed JSON as a dict. Read once per file and process.
"""
import json
import threading
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Tuple
from typing import Union

from alexafsm.errors import ModelError

__all__ = ['FormModel', 'ModelSlot', 'Rule', 'read_form_model']


class Rule(NamedTuple):
    """A slot validation rule of the dialog model, and the words it re-asks with."""

    type: str
    prompt: Optional[str]
    values: Tuple[str, ...]
    value: Optional[str]


class ModelSlot(NamedTuple):
    """A slot of the form's intent, with its dialog settings and its type's values."""

    name: str
    type: str
    required: bool
    confirm: bool
    prompt: Optional[str]
    confirmation_prompt: Optional[str]
    rules: Tuple[Rule, ...]
    #: canonical words by id, in model order, for a custom type; empty for built-in types
    words: Tuple[Tuple[str, str], ...]


class FormModel(NamedTuple):
    """One intent of a model as a form needs it."""

    intent: str
    slots: Tuple[ModelSlot, ...]
    confirm: bool
    confirmation_prompt: Optional[str]
    delegation: Optional[str]
    source: str

    def slot(self, name: str) -> Optional[ModelSlot]:
        """The slot of that name, or None."""
        for slot in self.slots:
            if slot.name == name:
                return slot
        return None


_cache: Dict[Tuple[str, str], FormModel] = {}
_lock = threading.Lock()


def read_form_model(model: Union[str, Path, Dict[str, Any]], intent: str) -> FormModel:
    """The form's view of ``intent`` in ``model`` (a path or parsed JSON); cached per file.

    Raises ModelError naming the file and the fix when the intent is missing.
    """
    if isinstance(model, dict):
        return _form_model(model, intent, '<dict>')
    path = _model_file(Path(model))
    key = (str(path), intent)
    found = _cache.get(key)
    if found is None:
        with _lock:
            try:
                data = json.loads(path.read_text(encoding='utf-8'))
            except (OSError, ValueError) as error:
                raise ModelError(f"{path}: cannot read the interaction model of the form for "
                                 f"{intent} ({error}): point Form.MODEL at the skill "
                                 f"package's model JSON") from None
            found = _cache[key] = _form_model(data, intent, str(path))
    return found


def _model_file(path: Path) -> Path:
    if path.is_dir():
        files = sorted(path.glob('*.json'))
        if len(files) != 1:
            raise ModelError(f"{path}: Form.MODEL names a folder with {len(files)} model files; "
                             f"name one of them, e.g. {path / 'en-US.json'}")
        return files[0]
    return path


def _prompt(prompts: Dict[Any, Any], holder: Any, key: str) -> Optional[str]:
    if not isinstance(holder, dict):
        return None
    id_ = holder.get(key)
    found = prompts.get(id_) if isinstance(id_, str) else None
    return found if isinstance(found, str) else None


def _form_model(data: Dict[str, Any], intent: str, source: str) -> FormModel:
    root = data.get('interactionModel', data) if isinstance(data, dict) else {}
    language = root.get('languageModel', root) if isinstance(root, dict) else {}
    intents = {i.get('name'): i for i in language.get('intents') or [] if isinstance(i, dict)}
    declared = intents.get(intent)
    if declared is None:
        raise ModelError(f"{source}: the form's intent {intent!r} is not in the model's "
                         f"languageModel.intents: add it, or fix Form.INTENT")
    words: Dict[str, Tuple[Tuple[str, str], ...]] = {}
    for type_ in language.get('types') or []:
        values: List[Tuple[str, str]] = []
        for value in type_.get('values') or []:
            words_ = (value.get('name') or {}).get('value')
            if isinstance(words_, str):
                values.append((value.get('id') or words_, words_))
        words[type_.get('name')] = tuple(values)
    prompts = {p.get('id'): (p.get('variations') or [{}])[0].get('value')
               for p in root.get('prompts') or [] if isinstance(p, dict)}
    dialog = root.get('dialog') or {}
    configured = {i.get('name'): i for i in dialog.get('intents') or [] if isinstance(i, dict)}
    settings = configured.get(intent) or {}
    slot_settings = {s.get('name'): s for s in settings.get('slots') or [] if isinstance(s, dict)}
    slots = []
    for raw in declared.get('slots') or []:
        name, type_name = raw.get('name'), raw.get('type')
        own = slot_settings.get(name) or {}
        prompt_ids = own.get('prompts') or {}
        rules = tuple(Rule(str(r.get('type')), _prompt(prompts, r, 'prompt'),
                           tuple(str(v) for v in r.get('values') or ()),
                           None if r.get('value') is None else str(r.get('value')))
                      for r in own.get('validations') or [] if isinstance(r, dict))
        slots.append(ModelSlot(name, type_name, bool(own.get('elicitationRequired')),
                               bool(own.get('confirmationRequired')),
                               _prompt(prompts, prompt_ids, 'elicitation'),
                               _prompt(prompts, prompt_ids, 'confirmation'), rules,
                               words.get(type_name, ())))
    return FormModel(intent, tuple(slots), bool(settings.get('confirmationRequired')),
                     _prompt(prompts, settings.get('prompts'), 'confirmation'),
                     settings.get('delegationStrategy') or dialog.get('delegationStrategy'),
                     source)
