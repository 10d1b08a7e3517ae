"""Playback: replay recorded sessions against the skill as it is now, and show what changed.

A recording is a file of JSON lines ``[request, response]``, one per turn, as 0.1.11 wrote them
and as ``alexafsm.transcript.append_turn`` writes them (``Policy.handle(record_filename=...)``,
``Conversation(record_to=...)``, ``alexafsm serve --record``). Each recorded request is answered
by a fresh policy, as a new Lambda invocation would, and the answer must equal the recorded
response. A difference is shown where authors look first: the speech, the state, the session
attributes key by key, then any other JSON by path.

A recorded turn that cannot be replayed or compared (``serve --record`` also records what a
broken client sent: a session id that is a list, a request that is no object) is reported as
unreadable, one line each, and the other turns are replayed as usual.
"""
import difflib
import json
import os
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Dict
from typing import Iterable
from typing import Iterator
from typing import List
from typing import Optional
from typing import Type

from alexafsm.persistence import host_extensions
from alexafsm.request import describe_request
from alexafsm.response import speech_of
from alexafsm.testing.conversation import respond
from alexafsm.transcript import PathLike
from alexafsm.transcript import RecordedTurn
from alexafsm.transcript import read_turns

if TYPE_CHECKING:
    from alexafsm.policy import Policy

__all__ = ['playback', 'PlaybackReport', 'Mismatch', 'diff_responses', 'word_diff']

_MISSING = object()


@dataclass(frozen=True)
class Mismatch:
    """A recorded turn the skill now answers differently."""

    turn: RecordedTurn
    number: int  # the turn's place in its session, from 1
    actual: Dict[str, Any]

    def describe(self) -> str:
        """Where the turn is, what the user did, and how the answer changed."""
        turn = self.turn
        try:
            header = (f"{turn.path}:{turn.line}: session {_session(turn) or '(none)'}, turn "
                      f"{self.number}: {describe_request(turn.request)}")
            lines = diff_responses(turn.response, self.actual)
        except Exception as error:  # a recording whose parts are not what Alexa sends
            return (f"{turn.path}:{turn.line}: the response differs, and the recorded turn "
                    f"is unreadable ({type(error).__name__}: {error})")
        return '\n'.join([header] + [f"  {line}" for line in lines])


@dataclass
class PlaybackReport:
    """What a playback found: how much it replayed and every turn that differs."""

    paths: List[str]
    turns: int = 0
    sessions: int = 0
    mismatches: List[Mismatch] = field(default_factory=list)
    unreadable: List[str] = field(default_factory=list)  # 'path:line: why', one per turn

    @property
    def passed(self) -> bool:
        """Every recorded turn was replayed and its response equals its recording."""
        return not self.mismatches and not self.unreadable

    def summary(self) -> str:
        """One line for the end of a CI log."""
        replayed = (f"{_count(self.turns, 'turn')} in {_count(self.sessions, 'session')} from "
                    f"{_count(len(self.paths), 'recording')}")
        unreadable = f", {_count(len(self.unreadable), 'unreadable turn')}" \
            if self.unreadable else ''
        if not self.mismatches:
            return f"{replayed}: every response matches{unreadable}"
        differ = 'response differs' if len(self.mismatches) == 1 else 'responses differ'
        return f"{replayed}: {len(self.mismatches)} {differ}{unreadable}"

    def report(self) -> str:
        """Every mismatch with its diff, each unreadable turn in a line, then the summary."""
        return '\n\n'.join([m.describe() for m in self.mismatches]
                            + (['\n'.join(self.unreadable)] if self.unreadable else [])
                            + [self.summary()])


def playback(policy_cls: Type['Policy'], paths: Iterable[PathLike], *,
             store: Any = 'memory://') -> PlaybackReport:
    """Replay every turn of the recordings at ``paths`` and compare the responses.

    All files are read before anything runs, so a broken recording fails fast. Each file is
    replayed with a fresh ``store`` (a URL, or None for the skill's own) for persistent
    attributes, so a replay neither depends on nor changes what real users left behind.
    """
    names = [os.fspath(path) for path in paths]
    recordings = [read_turns(name) for name in names]
    report = PlaybackReport(names)
    for turns in recordings:
        extensions = host_extensions(store=store)
        numbers: Dict[Optional[str], int] = {}
        for turn in turns:
            session = _session(turn)
            numbers[session] = numbers.get(session, 0) + 1
            try:
                actual = respond(policy_cls, turn.request, extensions=extensions)
                differs = _canonical(actual) != _canonical(turn.response)
            except Exception as error:
                report.unreadable.append(f"{turn.path}:{turn.line}: {_unreadable(error)}")
                continue
            if differs:
                report.mismatches.append(Mismatch(turn, numbers[session], actual))
        report.turns += len(turns)
        report.sessions += len([s for s in numbers if s is not None])
    return report


def diff_responses(expected: Dict[str, Any], actual: Dict[str, Any]) -> List[str]:
    """The differences between two response envelopes, as lines a person reads top down.

    Speech first (with the changed words marked), then the state, then the session attributes
    key by key, then the rest of the JSON by path.
    """
    lines: List[str] = []
    speech = [_speech(expected), _speech(actual)]
    if speech[0] != speech[1]:
        lines += ['speech:', f"  expected: {_show(speech[0])}", f"  got:      {_show(speech[1])}"]
        if isinstance(speech[0], str) and isinstance(speech[1], str):
            lines.append(f"  changed:  {word_diff(speech[0], speech[1])}")
    attributes = [_attributes(expected), _attributes(actual)]
    state = [a.get('state', _MISSING) for a in attributes]
    if state[0] != state[1]:
        lines.append(f"state: expected {_show(state[0])}, got {_show(state[1])}")
    changed = [line for key in _keys(*attributes) if key != 'state'
               for line in _differences(attributes[0].get(key, _MISSING),
                                        attributes[1].get(key, _MISSING), key)]
    if changed:
        lines += ['attributes:'] + [f"  {line}" for line in changed]
    rest = [line for line in _differences(_rest(expected), _rest(actual), '')]
    if rest:
        lines += ['other differences:'] + [f"  {line}" for line in rest]
    return lines


def word_diff(expected: str, actual: str, context: int = 5) -> str:
    """``actual`` with removed words as [-...-] and added ones as {+...+}.

    Long unchanged stretches keep ``context`` words on each side of a change, so the change in
    a long speech is found at a glance.
    """
    old, new = expected.split(), actual.split()
    parts = []
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == 'equal':
            words = old[i1:i2]
            head = words[:context] if index > 0 else []
            tail = words[-context:] if index < len(opcodes) - 1 else []
            if len(head) + len(tail) < len(words):
                words = head + ['...'] + tail
            parts.append(' '.join(words))
            continue
        if i2 > i1:
            parts.append(f"[-{' '.join(old[i1:i2])}-]")
        if j2 > j1:
            parts.append(f"{{+{' '.join(new[j1:j2])}+}}")
    return ' '.join(parts) if old != new else '(whitespace only)'


def _speech(envelope: Dict[str, Any]) -> Optional[str]:
    """``speech_of``, or None for a recorded envelope whose "response" is no object."""
    return speech_of(envelope) if isinstance(envelope.get('response'), (dict, type(None))) \
        else None


def _attributes(envelope: Dict[str, Any]) -> Dict[str, Any]:
    attributes = envelope.get('sessionAttributes')
    return attributes if isinstance(attributes, dict) else {}


def _rest(envelope: Dict[str, Any]) -> Dict[str, Any]:
    rest = {k: v for k, v in envelope.items() if k != 'sessionAttributes'}
    if isinstance(rest.get('response'), dict):
        rest['response'] = {k: v for k, v in rest['response'].items() if k != 'outputSpeech'}
    return rest


def _keys(*mappings: Dict[str, Any]) -> List[str]:
    seen: Dict[str, None] = {}
    for mapping in mappings:
        seen.update(dict.fromkeys(mapping))
    return list(seen)


def _differences(expected: Any, actual: Any, path: str) -> Iterator[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in _keys(expected, actual):
            yield from _differences(expected.get(key, _MISSING), actual.get(key, _MISSING),
                                    f"{path}.{key}" if path else key)
    elif (isinstance(expected, list) and isinstance(actual, list)
          and len(expected) == len(actual)):
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from _differences(e, a, f"{path}[{i}]")
    elif expected != actual or type(expected) is not type(actual):
        yield f"{path}: expected {_show(expected)}, got {_show(actual)}"


def _session(turn: RecordedTurn) -> Optional[str]:
    """The turn's session id; None for a missing one or one that is no string (a bad client)."""
    session = turn.session_id
    return session if isinstance(session, str) else None


def _unreadable(error: Exception) -> str:
    return f"unreadable turn, not replayed ({type(error).__name__}: {error})"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _canonical(value: Any) -> str:
    """JSON equality, which is stricter than Python's: true is not 1 and 1.0 is not 1."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _show(value: Any) -> str:
    if value is _MISSING:
        return '(missing)'
    return json.dumps(value, ensure_ascii=False)
