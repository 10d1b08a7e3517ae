"""Talk to a skill by typing what a user would say, matched to intents as Alexa would.

``UtteranceMatcher`` turns text into an intent and slots through the model's sample utterances:
case and punctuation are ignored, the sample with the most literal words wins, and a ``{Slot}``
captures the fewest words that let the rest of the sample match. Built-in intents the model
lists without samples ("stop", "help", "yes") match through ``BUILTIN_SAMPLES``; what matches
nothing becomes AMAZON.FallbackIntent when the model has it. Slot values are sent as typed
(numbers stay words) and custom types get the entity resolutions Alexa would add, through
``Conversation``.

``Console`` runs the conversation: it launches the skill, sends each line, and prints what
Alexa would say (SSML as plain words), the card and the new state. It follows the dialog
directives a skill sends: after ``Dialog.ElicitSlot`` the next line answers that slot, after a
confirmation "yes" or "no" confirms or denies, and ``Dialog.Delegate`` speaks the model's own
prompt for the next required slot; a form (``alexafsm.dialogs``) is followed the same way, and
the states its digressions suspend are shown as ``stack:``. Lines starting with ':' are
commands (``COMMANDS``).

``RemoteSkill`` stands in for the Policy class when the skill runs elsewhere (``alexafsm
serve SKILL --dev``): the same console, each request POSTed to the server as Alexa would send
it (unsigned, so the server must not verify), and the session attributes of each response
carried to the next request, as Alexa carries them.
"""
import json
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import Mapping
from typing import Optional
from typing import TextIO
from typing import Tuple
from typing import Type
from typing import Union

from alexafsm.amazon_intent import FALLBACK
from alexafsm.amazon_intent import NO
from alexafsm.amazon_intent import YES
from alexafsm.response import parse_ssml
from alexafsm.testing.conversation import Conversation
from alexafsm.testing.conversation import ConversationError
from alexafsm.testing.conversation import Turn
from alexafsm.testing.dialogue import dialog_of
from alexafsm.testing.dialogue import has_dialog_model
from alexafsm.tools.dialog_facts import stack_of
from alexafsm.tools.interaction_model import InteractionModel

if TYPE_CHECKING:
    from alexafsm.policy import Policy

_PROMPT = 'you> '
COMMANDS = {
    ':quit': 'end the session and leave (so does end of input)',
    ':launch': 'open the skill again, in a new session',
    ':help': 'show these commands',
}

BUILTIN_SAMPLES: Mapping[str, Tuple[str, ...]] = {
    'AMAZON.StopIntent': ('stop', 'stop it', 'off', 'shut up', 'quit', 'exit', 'goodbye', 'bye'),
    'AMAZON.CancelIntent': ('cancel', 'cancel that', 'never mind', 'forget it'),
    'AMAZON.HelpIntent': ('help', 'help me', 'i need help', 'what can i say',
                          'what can you do'),
    YES: ('yes', 'yes please', 'yeah', 'yep', 'sure', 'ok', 'okay', 'of course', 'please do'),
    NO: ('no', 'no thanks', 'no thank you', 'nope', 'not really'),
    'AMAZON.RepeatIntent': ('repeat', 'repeat that', 'say that again', 'come again'),
    'AMAZON.StartOverIntent': ('start over', 'restart', 'start again', 'begin again'),
    'AMAZON.NextIntent': ('next', 'next one', 'skip'),
    'AMAZON.PreviousIntent': ('previous', 'previous one', 'go back', 'back'),
    'AMAZON.MoreIntent': ('more', 'tell me more'),
    'AMAZON.PauseIntent': ('pause',),
    'AMAZON.ResumeIntent': ('resume', 'continue'),
    'AMAZON.NavigateHomeIntent': ('go home', 'home', 'main menu'),
}

_SLOT_REF = re.compile(r'\{([^{}]+)\}')
_NOT_WORD = re.compile(r"[^\w\s']|_")
_LOOSE_QUOTE = re.compile(r"(?<!\w)'|'(?!\w)")
_MAX_AUTOMATIC_TURNS = 3


def normalize(text: str) -> str:
    """Text as speech recognition delivers it: lower case, no punctuation, single spaces.

    Samples and what the user types go through the same function, so "What's up?" matches
    the sample "what's up" and "gluten-free" the words "gluten free".
    """
    text = _NOT_WORD.sub(' ', text.casefold().replace('\u2019', "'"))
    return ' '.join(_LOOSE_QUOTE.sub(' ', text).split())


@dataclass(frozen=True)
class Match:
    """What an utterance was understood as: the intent, the slots' words, and why."""

    intent: str
    slots: Mapping[str, str] = field(default_factory=dict)
    sample: Optional[str] = None
    literal_words: int = 0


@dataclass(frozen=True)
class _Pattern:
    intent: str
    sample: str
    regex: 're.Pattern[str]'
    slots: Tuple[str, ...]
    literal_words: int
    rank: int
    order: int


class UtteranceMatcher:
    """Finds the intent and slots of a typed utterance among the model's sample utterances."""

    def __init__(self, model: InteractionModel) -> None:
        self.model = model
        self._patterns: List[_Pattern] = []
        for intent in model.intents.values():
            self._patterns += self._compile(intent.name, intent.samples, 0)
            self._patterns += self._compile(intent.name, BUILTIN_SAMPLES.get(intent.name, ()), 1)
        self._slot_patterns: Dict[Tuple[str, str], List[_Pattern]] = {}

    def match(self, text: str) -> Optional[Match]:
        """The best match among all intents, or None when no sample matches.

        Callers decide about the fallback (``understand`` does it as Alexa would).
        """
        return self._best(normalize(text), self._patterns)

    def understand(self, text: str) -> Optional[Match]:
        """What Alexa would send for ``text``: the best match, else AMAZON.FallbackIntent.

        None when nothing matches and the model has no AMAZON.FallbackIntent.
        """
        found = self.match(text)
        if found is None and self.model.intent(FALLBACK) is not None:
            return Match(FALLBACK)
        return found

    def match_slot(self, text: str, intent: str, slot: str) -> Optional[Match]:
        """The answer to Alexa asking for ``slot`` of ``intent``, through the slot's samples.

        A slot without samples is answered by saying just its value, as Alexa allows.
        """
        key = (intent, slot)
        patterns = self._slot_patterns.get(key)
        if patterns is None:
            model_intent = self.model.intent(intent)
            model_slot = model_intent.slot(slot) if model_intent is not None else None
            samples = model_slot.samples if model_slot is not None and model_slot.samples \
                else (f'{{{slot}}}',)
            own = model_intent.samples if model_intent is not None else ()
            patterns = self._slot_patterns[key] = \
                self._compile(intent, samples, 0) + self._compile(intent, own, 0)
        return self._best(normalize(text), patterns)

    def match_among(self, text: str, intents: Iterable[str]) -> Optional[Match]:
        """The best match among ``intents`` only, built-in samples included even if the model
        does not list the intent (Alexa understands "yes" to a confirmation regardless)."""
        wanted = set(intents)
        patterns = [p for p in self._patterns if p.intent in wanted]
        for name in sorted(wanted - {p.intent for p in patterns}):
            patterns += self._compile(name, BUILTIN_SAMPLES.get(name, ()), 1)
        return self._best(normalize(text), patterns)

    def _best(self, said: str, patterns: Iterable[_Pattern]) -> Optional[Match]:
        if not said:
            return None
        best: Optional[Tuple[Tuple[int, ...], Match]] = None
        for pattern in patterns:
            found = pattern.regex.fullmatch(said)
            if found is None:
                continue
            slots = dict(zip(pattern.slots, found.groups()))
            resolved = sum(1 for name, words in slots.items()
                           if self._resolves(pattern.intent, name, words))
            key = (-pattern.literal_words, -resolved, pattern.rank, pattern.order)
            if best is None or key < best[0]:
                best = key, Match(pattern.intent, slots, pattern.sample, pattern.literal_words)
        return best[1] if best is not None else None

    def _resolves(self, intent: str, slot: str, words: str) -> bool:
        model_intent = self.model.intent(intent)
        model_slot = model_intent.slot(slot) if model_intent is not None else None
        slot_type = self.model.slot_type(model_slot.type) if model_slot is not None else None
        return slot_type is not None and slot_type.resolve(words) is not None

    def _compile(self, intent: str, samples: Iterable[str], rank: int) -> List[_Pattern]:
        patterns: List[_Pattern] = []
        for sample in samples:
            compiled = _compile_sample(sample)
            if compiled is not None:
                regex, slots, literals = compiled
                patterns.append(_Pattern(intent, sample, regex, slots, literals, rank,
                                         len(self._patterns) + len(patterns)))
        return patterns


def _compile_sample(sample: str) -> Optional[Tuple['re.Pattern[str]', Tuple[str, ...], int]]:
    """A sample as a regular expression over normalized text: literal words, and a lazy group
    per slot; a slot glued to a word ('{size}s') stays glued."""
    parts = _SLOT_REF.split(sample)
    pieces: List[Tuple[str, bool]] = []  # (regex, joined to the previous piece without a space)
    slots: List[str] = []
    literals = 0
    for index, part in enumerate(parts):
        if index % 2:
            glued = bool(pieces) and bool(parts[index - 1]) and not parts[index - 1][-1].isspace()
            pieces.append((r'(.+?)', glued))
            slots.append(part.strip())
            continue
        words = normalize(part).split()
        if not words:
            continue
        literals += len(words)
        glued = index > 0 and not part[0].isspace()
        pieces.append((' '.join(re.escape(word) for word in words), glued))
    if not pieces:
        return None
    text = pieces[0][0] + ''.join(('' if glued else ' ') + regex for regex, glued in pieces[1:])
    return re.compile(text), tuple(slots), literals


def speech_text(speech: Optional[str]) -> str:
    """What a listener hears: SSML markup reduced to its words (``<sub>`` by its alias,
    ``<audio>`` as '[audio]'), plain text as it is; malformed SSML is shown as sent."""
    if not speech:
        return ''
    if not speech.lstrip().startswith('<speak'):
        return speech
    try:
        root = parse_ssml(speech)
    except ElementTree.ParseError:
        return speech
    return ' '.join(_spoken(root).split())


def _spoken(element: ElementTree.Element) -> str:
    if element.tag == 'audio':
        return ' [audio] '
    if element.tag == 'sub' and element.get('alias') is not None:
        return element.get('alias') or ''
    parts = [element.text or '']
    for child in element:
        parts += [_spoken(child), child.tail or '']
    return ''.join(parts)


@dataclass
class _Dialog:
    """A dialog the skill keeps going: which intent, its slots, and what Alexa asked for."""

    intent: str
    slots: Dict[str, Optional[str]]
    elicit: Optional[str] = None
    confirm_slot: Optional[str] = None
    confirm_intent: bool = False


class RemoteSkill:
    """A skill behind a URL, answering requests as a Policy class does in ``Conversation``.

    Nothing is signed, so the server must run without request verification (``alexafsm
    serve --dev``); a refused request or an unreachable server is a ``ConversationError``
    whose message says which, and what to change.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.__name__ = url  # what messages call the skill

    def respond(self, request: Mapping[str, Any], record_filename: Optional[str] = None,
                extensions: Any = None) -> Dict[str, Any]:
        """POST ``request`` and return the response envelope the server sent."""
        body = json.dumps(request).encode('utf-8')
        post = urllib.request.Request(self.url, data=body, method='POST',
                                      headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(post, timeout=self.timeout) as reply:
                return json.loads(reply.read().decode('utf-8'))
        except urllib.error.HTTPError as error:
            detail = error.read().decode('utf-8', 'replace').strip()
            hint = (" (the server verifies requests: start it with --dev, or name its "
                    "--application-id here too)" if error.code == 400 else '')
            raise ConversationError(f"{self.url} refused the request: HTTP {error.code} "
                                    f"{detail}{hint}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, 'reason', error)
            raise ConversationError(f"cannot reach {self.url}: {reason} (is 'alexafsm serve' "
                                    f"running there?)") from None
        except ValueError as error:
            raise ConversationError(f"{self.url} did not answer with JSON: {error}") from None


class Console:
    """A user typing to the skill: ``start()``, then ``hear(line)`` per line, then ``finish()``.

    Everything shown goes through ``write`` (one call per line), so a terminal, a pipe and a
    test see the same text.
    """

    def __init__(self, policy_cls: Union[Type['Policy'], RemoteSkill], model: InteractionModel,
                 *, write: Callable[[str], None] = print, **conversation_options: Any) -> None:
        self.model = model
        self.matcher = UtteranceMatcher(model)
        # a console user hears the apology, as a device's would; the log shows the traceback
        conversation_options.setdefault('apologize', True)
        # a RemoteSkill answers as a Policy class does: Conversation only calls its respond
        self.chat = Conversation(policy_cls, model=model,  # type: ignore[arg-type]
                                 **conversation_options)
        self.remote = isinstance(policy_cls, RemoteSkill)
        self.write = write
        self.dialog: Optional[_Dialog] = None

    def start(self) -> Turn:
        """Open the skill, as "Alexa, open ..." does; the console always starts here."""
        return self._show(self.chat.launch())

    def hear(self, line: str) -> bool:
        """Take one line the user typed; False once the user asked to leave."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(':'):
            return self._command(text)
        request = self._understand(text)
        if request is None:
            self.write("  no intent matched (the model has no AMAZON.FallbackIntent to send)")
            return True
        intent, slots, options = request
        turn = self._say(intent, slots, options)
        if turn is not None:
            confirmation = options.get('confirmation_status')
            self.write(f'  intent: {turn.said}' + (f' ({confirmation.lower()})' if confirmation
                                                    else ''))
            self._show(turn)
        return True

    def finish(self) -> None:
        """Leave: an open session gets the SessionEndedRequest Alexa sends when users walk away."""
        if self.chat.in_session:
            try:
                self.chat.end()
            except ConversationError as error:  # a remote skill that went away meanwhile
                self.write(f'  {error}')
                return
            self.write('  (session ended: USER_INITIATED)')

    def _say(self, intent: str, slots: Mapping[str, Optional[str]],
             options: Mapping[str, Any]) -> Optional[Turn]:
        """Send the intent; a request Alexa could not send (the skill's updatedIntent named a
        slot the model lacks) is reported instead, and the dialog dropped."""
        try:
            return self.chat._say(intent, slots, **options)
        except ConversationError as error:
            self.write(f"  {error}" if self.remote else
                       f"  Alexa could not send {intent} (was the skill's updatedIntent "
                       f"right?): {error}")
            self.dialog = None
            return None

    def _command(self, text: str) -> bool:
        command = text.split()[0].lower()
        if command in (':quit', ':q', ':exit'):
            return False
        if command == ':launch':
            self.dialog = None
            self.start()
        elif command == ':help':
            for name, description in COMMANDS.items():
                self.write(f'  {name:<8} {description}')
        else:
            self.write(f"  unknown command {command!r}; commands: {', '.join(COMMANDS)}")
        return True

    def _understand(self, text: str) -> Optional[Tuple[str, Dict[str, Optional[str]],
                                                        Dict[str, Any]]]:
        """Intent, slots and dialog options for what the user said, the open dialog first."""
        dialog = self.dialog
        if dialog is not None:
            answer = self._dialog_answer(dialog, text)
            if answer is not None:
                return answer
        found = self.matcher.understand(text)
        if found is None:
            return None
        self.dialog = None
        intent = self.model.intent(found.intent)
        options = {'dialog_state': 'STARTED'} if has_dialog_model(intent) else {}
        return found.intent, dict(found.slots), options

    def _dialog_answer(self, dialog: _Dialog, text: str
                       ) -> Optional[Tuple[str, Dict[str, Optional[str]], Dict[str, Any]]]:
        slots = dict(dialog.slots)
        if dialog.confirm_intent or dialog.confirm_slot:
            answer = self.matcher.match_among(text, (YES, NO))
            if answer is None:
                return None
            status = 'CONFIRMED' if answer.intent == YES else 'DENIED'
            if dialog.confirm_intent:
                return dialog.intent, slots, {'dialog_state': 'IN_PROGRESS',
                                              'confirmation_status': status}
            return dialog.intent, slots, {'dialog_state': 'IN_PROGRESS',
                                          'slot_confirmations': {dialog.confirm_slot: status}}
        if dialog.elicit is None:
            return None
        answer = self.matcher.match_slot(text, dialog.intent, dialog.elicit)
        other = self.matcher.match(text)
        if answer is None or (other is not None and other.intent != dialog.intent
                              and other.literal_words > answer.literal_words):
            return None
        slots.update(answer.slots)
        return dialog.intent, slots, {'dialog_state': 'IN_PROGRESS'}

    def _show(self, turn: Turn, depth: int = 0) -> Turn:
        spoken = speech_text(turn.speech)
        if spoken:
            self.write(f'Alexa: {spoken}')
        card = turn.card
        if card:
            title = card.get('title') or card.get('type')
            body = card.get('content') or card.get('text') or ''
            self.write(f'  card: {title}')
            for text in body.splitlines():
                if text.strip():
                    self.write(f'        {text.strip()}')
        if turn.state is not None:
            self.write(f'  state: {turn.state}')
        stack = stack_of(turn.attributes)
        if stack:  # a dialog skill's suspended states (alexafsm.dialogs); flat skills have none
            self.write(f"  stack: {', '.join(stack)}")
        if turn.should_end:
            self.dialog = None
            self.write('  (the skill ended the session; what you say next opens a new one)')
            return turn
        self._follow_dialog(turn, depth)
        return turn

    def _follow_dialog(self, turn: Turn, depth: int) -> None:
        """Keep track of the dialog directive, and speak for Alexa where the skill delegated."""
        dialog = dialog_of(turn)
        if dialog is None:
            self.dialog = None
            return
        self.dialog = _Dialog(dialog.intent, dict(dialog.slots))
        if dialog.directive == 'Dialog.ElicitSlot':
            self.dialog.elicit = dialog.slot
        elif dialog.directive == 'Dialog.ConfirmSlot':
            self.dialog.confirm_slot = dialog.slot
        elif dialog.directive == 'Dialog.ConfirmIntent':
            self.dialog.confirm_intent = True
        elif dialog.directive == 'Dialog.Delegate':
            self._delegate(self.dialog, depth)

    def _delegate(self, dialog: _Dialog, depth: int) -> None:
        """Do what Alexa's dialog model does: ask for the next required slot with the model's
        prompt, ask to confirm, or hand the completed intent back to the skill."""
        model_intent = self.model.intent(dialog.intent)
        if model_intent is None:
            self.write(f'  (Dialog.Delegate for {dialog.intent}, which the model does not have)')
            self.dialog = None
            return
        missing = next((slot for slot in model_intent.required_slots
                        if not dialog.slots.get(slot.name)), None)
        if missing is not None:
            dialog.elicit = missing.name
            prompt = missing.elicitation_prompt
            self.write(f'Alexa: {_fill(prompt.text, dialog.slots)}' if prompt else
                       f'  (Alexa asks for {missing.name}: the model has no prompt for it)')
            return
        if model_intent.confirmation_required and model_intent.confirmation_prompt:
            dialog.confirm_intent = True
            self.write(f'Alexa: {_fill(model_intent.confirmation_prompt.text, dialog.slots)}')
            return
        if depth >= _MAX_AUTOMATIC_TURNS:
            self.write('  (the skill keeps delegating a completed dialog; stopped here)')
            self.dialog = None
            return
        turn = self._say(dialog.intent, dialog.slots, {'dialog_state': 'COMPLETED'})
        if turn is not None:
            self.write(f'  intent: {turn.said} (dialog completed)')
            self._show(turn, depth + 1)


def _fill(prompt: str, slots: Mapping[str, Optional[str]]) -> str:
    """A model prompt with its {slot} references replaced by the values, as Alexa speaks it."""
    return speech_text(_SLOT_REF.sub(lambda m: slots.get(m.group(1)) or m.group(0), prompt))


def run(policy_cls: Union[Type['Policy'], RemoteSkill], model: InteractionModel, stdin: TextIO,
        write: Callable[[str], None], *, interactive: Optional[bool] = None,
        prompt: Callable[[str], None] = lambda text: None,
        **conversation_options: Any) -> None:
    """The console loop over ``stdin`` until ':quit', the end of input or Ctrl-C.

    On a terminal (``interactive``, by default ``stdin.isatty()``) ``prompt`` shows 'you> '
    before each line; from a pipe each line is echoed after 'you> ' instead, so a scripted
    conversation prints as it would have looked typed. No readline is needed either way.
    However the loop ends, an open session gets its SessionEndedRequest. ``policy_cls`` may be
    a :class:`RemoteSkill`; ``conversation_options`` go to ``Conversation`` (``store``: a
    fresh memory by default, as in every dev tool).
    """
    if interactive is None:
        interactive = stdin.isatty()
    console = Console(policy_cls, model, write=write, **conversation_options)
    console.start()
    try:
        while True:
            if interactive:
                prompt(_PROMPT)
            line = stdin.readline()
            if not line:
                if interactive:
                    write('')
                break
            line = line.rstrip('\r\n')
            if not interactive:
                write(_PROMPT + line)
            if not console.hear(line):
                break
    except KeyboardInterrupt:
        write('')
    console.finish()


__all__ = ['run', 'Console', 'UtteranceMatcher', 'Match', 'normalize', 'speech_text', 'parse_ssml',
           'COMMANDS', 'BUILTIN_SAMPLES', 'RemoteSkill']
