"""The dialog machine: the stack, forms and resume records at run time.

Chosen once per Policy class by ``alexafsm.machine`` when its States class uses dialogs; a
flat skill never loads this module. Control state travels in one reserved session attribute,
``alexafsm`` (``{"v": 1, "stack": [...], "digression": ..., "forms": {...}, "saved": ...}``),
present only when not empty; the resume record in the persistent attributes under the same key.
A turn that ends in the apology sends the session attributes the request brought, so a failed
turn keeps the incoming stack and saves nothing.
"""
import hashlib
import json
import logging
import time
from datetime import datetime
from typing import Any
from typing import Dict
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Tuple

from alexafsm.dialogs._declare import ENVELOPE
from alexafsm.dialogs._declare import RESUME
from alexafsm.dialogs._form import Frame
from alexafsm.dialogs._form import FrameView
from alexafsm.dialogs._form import read_frame
from alexafsm.dialogs.compiled import DialogInfo
from alexafsm.dialogs.compiled import FormCheck
from alexafsm.dialogs.compiled import FormInfo
from alexafsm.dialogs.compiled import dialog_info
from alexafsm.errors import DialogError
from alexafsm.errors import NotHandled
from alexafsm.errors import PersistenceError
from alexafsm.machine import Machine
from alexafsm.machine import Transition
from alexafsm.session_attributes import INITIAL_STATE

__all__ = ['DialogMachine', 'Envelope', 'DialogView', 'ResumePoint', 'view_of', 'form_check',
           'envelope_of', 'VERSION']

logger = logging.getLogger(__name__)
VERSION = 1


class ResumePoint(NamedTuple):
    """An unfinished task from an earlier session: where it stood and its data."""

    state: str
    stack: Tuple[str, ...]
    data: Dict[str, Any]
    forms: Dict[str, Any]
    age: float  # seconds since it was saved
    record: Dict[str, Any]


class Envelope:
    """This turn's dialog control state; ``wire()`` is what the reserved key carries."""

    # this turn's own facts, never sent; class defaults, so a turn sets only what it learns
    resumed = False
    interrupted_by: Optional[str] = None
    policy: Any = None
    resume_point: Optional[ResumePoint] = None
    looked_up = False

    def __init__(self, wire: Any = None) -> None:
        self.frames: Dict[str, Frame] = {}
        if not wire:  # most turns of most sessions: nothing suspended, no form
            self.stack: List[str] = []
            self.digression: Optional[str] = None
            self.forms: Dict[str, Dict[str, Any]] = {}
            self.saved: Optional[str] = None
            return
        wire = wire if isinstance(wire, dict) else {}
        if wire and wire.get('v') != VERSION:
            logger.info("session attribute '%s' has version %r, not %d; ignored", ENVELOPE,
                        wire.get('v'), VERSION)
            wire = {}
        stack = wire.get('stack')
        self.stack = [s for s in stack if isinstance(s, str)] if isinstance(stack, list) else []
        digression = wire.get('digression')
        self.digression = digression if isinstance(digression, str) else None
        forms = wire.get('forms')
        self.forms = json.loads(json.dumps(forms)) if isinstance(forms, dict) and forms else {}
        saved = wire.get('saved')
        self.saved = saved if isinstance(saved, str) else None

    def wire(self) -> Optional[Dict[str, Any]]:
        """The reserved session attribute: the version and each part that is not empty; None
        when every part is empty, and then the attribute is not sent at all."""
        if not (self.stack or self.digression or self.forms or self.saved):
            return None
        out: Dict[str, Any] = {'v': VERSION}
        if self.stack:
            out['stack'] = list(self.stack)
        if self.digression:
            out['digression'] = self.digression
        if self.forms:
            out['forms'] = self.forms
        if self.saved:
            out['saved'] = self.saved
        return out

    def reset(self) -> None:
        """Forget the stack, the digression and the forms' bookkeeping (clear, session end)."""
        self.stack = []
        self.digression = None
        self.forms = {}


def envelope_of(attributes: Any) -> Envelope:
    """The attributes' envelope, made from the wire dict the request brought on first use.

    The request's own dict is copied, never changed: the apology sends it back as it came.
    """
    found = attributes.__dict__.get('_alexafsm')
    if type(found) is Envelope:
        return found
    envelope = Envelope(found)
    attributes._alexafsm = envelope
    return envelope


def _info_of(states: Any) -> DialogInfo:
    info = dialog_info(type(states))
    if info is None:
        raise DialogError(f"{type(states).__name__} uses no dialogs (no mount, push, resume "
                               f"or clear), so self.dialog has nothing to show")
    return info


class DialogMachine(Machine):
    """``Machine`` with the dialog stack, forms and resume records; see the module docstring."""

    def __init__(self, policy_cls: Any) -> None:
        info = dialog_info(policy_cls.states_cls)
        assert info is not None
        self.info = info
        super().__init__(policy_cls)
        self.ending = frozenset(getattr(self.states_cls, 'ENDING_STATES', None) or ())
        self.mount_of: Dict[str, str] = {leaf: name for name, m in info.mounts.items()
                                         for leaf in m.states}
        self.form_entries = {m.entry: name for name, m in info.mounts.items() if m.is_form}
        self._group_exit = self._group_callbacks('on_exit_')
        self._group_enter = self._group_callbacks('on_enter_')
        self._groups = bool(self._group_exit or self._group_enter)
        self._recorded = frozenset(
            info.resume_across_sessions.dialogs or info.forms
            if info.resume_across_sessions is not None else ())
        # transitions that, with no envelope in the request, are a plain machine's: no stack
        # key, no form, no record, no mount hooks (a flat session of a dialog skill)
        self._plain = frozenset(  # by identity: hashing the tuple would cost more than firing
            id(t) for t in self.transitions
            if not (t.push or t.clear or t.dest == RESUME or t.outcome or info.forms
                    or self._recorded or self._groups or t.dest in self.ending))

    def _state_names(self) -> Tuple[str, ...]:
        return self.info.states

    def _declared(self) -> List[Tuple[str, Dict[str, Any]]]:
        return [(on, dict(spec)) for on, spec in self.info.declared]

    def _responders(self) -> Dict[str, Any]:
        return dict(self.info.responders)

    def _group_callbacks(self, prefix: str) -> Dict[str, Any]:
        found = {}
        for name in self.info.mounts:
            fn = getattr(self.policy_cls, prefix + name, None)
            if callable(fn):
                found[name] = fn
        return found

    @property
    def transitions_machine(self) -> Any:
        """0.1.11's read-only ``transitions.Machine``: dotted states, resumes left out."""
        if self._transitions_machine is None:
            with self._lock:
                if self._transitions_machine is None:
                    from transitions import Machine as TransitionsMachine
                    machine = TransitionsMachine(model=None, states=list(self.states),
                                                 initial=INITIAL_STATE, auto_transitions=False)
                    for t in self.transitions:
                        if t.dest != RESUME:
                            machine.add_transition(t.trigger, t.source, t.dest)
                    self._transitions_machine = machine  # type: ignore[assignment]
        return self._transitions_machine

    # -- firing ----------------------------------------------------------------------------------

    def _missing(self, policy: Any, trigger: str, state: str) -> Tuple[Any, str]:
        """During a digression, the user may answer the interrupted question: its cell fires."""
        envelope = envelope_of(policy.states.attributes)
        top = self._top(envelope) if envelope.digression else None
        by_state = self._table.get(trigger, {})
        if top is None or top not in by_state:
            raise NotHandled(trigger, state)
        self._cut(envelope, top)
        envelope.digression = None
        policy.state = top
        return by_state[top], top

    def _take(self, policy: Any, compiled: Any, state: str) -> None:
        """``Machine._take`` with the stack: push, resume, clear, unwind, forms, records.

        The envelope knows the policy (its validators, its store) only while the transition
        runs: kept, it would tie the turn's objects in a cycle that only the garbage collector
        frees, which cost a dialog turn more than all its bookkeeping.
        """
        attributes = policy.states.attributes
        envelope = attributes.__dict__.get('_alexafsm')
        if envelope is None and id(compiled.transition) in self._plain:
            Machine._take(self, policy, compiled, state)  # nothing suspended, nothing to keep
            return
        if type(envelope) is not Envelope:
            envelope = envelope_of(attributes)
        envelope.policy = policy
        try:
            self._fire_taken(policy, envelope, compiled, state)
        finally:
            envelope.policy = None

    def _fire_taken(self, policy: Any, envelope: Envelope, compiled: Any, state: str) -> None:
        t: Transition = compiled.transition
        for before in compiled.before:
            before(policy)
        info = self.info
        dest = t.dest
        if dest == RESUME:
            if t.outcome is not None:  # a pushed form's outcome mapped to RESUME
                self._commit(policy, envelope, t, dest)
            target = self._pop(envelope)
            resumed = target is not None
            if target is None and state == INITIAL_STATE and self._recorded:
                target = self._restore(policy, envelope)
                resumed = target is not None
            if target is None:
                target = t.otherwise or info.resume_otherwise
            envelope.digression = None
            if self._groups:
                self._exit(policy, state, target)
            else:
                on_exit = self._on_exit.get(state)
                if on_exit is not None:
                    on_exit(policy)
            if resumed:
                policy.state = target
                envelope.resumed, envelope.interrupted_by = True, state
            else:
                target = self._entry(policy, envelope, target, state, t)
                policy.state = target
                self._enter(policy, state, target)
            dest = target
        else:
            if dest not in self.state_set:
                self._bad_dest(t)
            if t.push:
                if not envelope.digression and state not in info.never_suspended:
                    self._push(envelope, state)
                envelope.digression = self.mount_of.get(dest, dest)  # the pushed scope
            elif t.clear:
                envelope.reset()
            else:
                if envelope.stack or envelope.digression:
                    self._unwind(envelope, dest)
                left = self.mount_of.get(state)
                if left is not None and left != self.mount_of.get(dest):
                    envelope.forms.pop(left, None)  # a form left for good: its bookkeeping too
            if dest in self.form_entries:
                dest = self._entry(policy, envelope, dest, state, t)
            if self.info.forms:
                self._commit(policy, envelope, t, dest)
            if not t.push:  # a pushed state is suspended, not left
                self._exit(policy, state, dest)
            policy.state = dest
            self._enter(policy, state, dest)
        for after in compiled.after:
            after(policy)
        ending = dest in self.ending
        if ending:
            envelope.reset()
        if self._recorded:
            self._record(policy, envelope, t, dest)
        if ending:
            envelope.saved = None  # the session ends: no envelope goes out

    # -- hooks: exits up to the mount left, enters down into the mount entered --------------------

    def _exit(self, policy: Any, source: str, dest: str) -> None:
        on_exit = self._on_exit.get(source)
        if on_exit is not None:
            on_exit(policy)
        group = self.mount_of.get(source) if self._group_exit else None
        if group is not None and group != self.mount_of.get(dest) and group in self._group_exit:
            self._group_exit[group](policy)

    def _enter(self, policy: Any, source: str, dest: str) -> None:
        group = self.mount_of.get(dest) if self._group_enter else None
        if group is not None and group != self.mount_of.get(source) and \
                group in self._group_enter:
            self._group_enter[group](policy)
        on_enter = self._on_enter.get(dest)
        if on_enter is not None:
            on_enter(policy)

    # -- the stack ------------------------------------------------------------------------------

    def _known(self, name: str) -> Optional[str]:
        name = self.info.renamed.get(name, name)
        return name if name in self.state_set else None

    def _top(self, envelope: Envelope) -> Optional[str]:
        for entry in reversed(envelope.stack):
            known = self._known(entry)
            if known is not None:
                return known
        return None

    def _pop(self, envelope: Envelope) -> Optional[str]:
        while envelope.stack:
            entry = envelope.stack.pop()
            known = entry if entry in self.state_set else self._known(entry)
            if known is not None:
                return known
            logger.info("the suspended state '%s' is no state of %s any more (a deploy?); "
                        "skipped", entry, self.states_cls.__name__)
        return None

    def _push(self, envelope: Envelope, state: str) -> None:
        stack = envelope.stack
        if state in stack:
            stack.remove(state)
        stack.append(state)
        while len(stack) > self.info.max_stack:
            dropped = stack.pop(0)
            logger.info("the stack holds %s states at most (MAX_STACK); forgot '%s'",
                        self.info.max_stack, dropped)
        envelope.stack = stack

    def _cut(self, envelope: Envelope, state: str) -> None:
        stack = [self._known(s) or s for s in envelope.stack]
        envelope.stack = stack[:stack.index(state)] if state in stack else stack

    def _unwind(self, envelope: Envelope, dest: str) -> None:
        """An ordinary transition into a suspended state, or into its mount, cuts the stack."""
        if envelope.stack:
            group = self.mount_of.get(dest)
            for i, entry in enumerate(envelope.stack):
                entry = self._known(entry) or entry
                if entry == dest or (group is not None and self.mount_of.get(entry) == group):
                    envelope.stack = envelope.stack[:i]
                    break
        if envelope.digression and envelope.digression not in (dest, self.mount_of.get(dest)):
            envelope.digression = None  # left the digression's scope

    # -- forms ------------------------------------------------------------------------------------

    def _entry(self, policy: Any, envelope: Envelope, dest: str, source: str,
               t: Transition) -> str:
        """A transition into a Form's entry lands on ``confirming`` when its frame is complete.

        Not for the Form's own generated transitions, which chose already, nor a reflexive one.
        """
        mount = self.form_entries.get(dest)
        if mount is None or source == dest or t.outcome is not None or \
                any(isinstance(c, FormCheck) for c in t.conditions):
            return dest
        frame = frame_of(policy.states, envelope, mount, policy)
        return f"{mount}.confirming" if frame.check('entering') else dest

    def _commit(self, policy: Any, envelope: Envelope, t: Transition, dest: str) -> None:
        """Keep the frame read this turn where the form's transition took the conversation."""
        mount = self.mount_of.get(dest)
        form = self.info.forms.get(mount) if mount is not None else None
        if t.outcome is not None:
            mount = next((c.mount for c in t.conditions if isinstance(c, FormCheck)), None)
            form = self.info.forms.get(mount) if mount is not None else None
        if form is None or mount is None:
            return
        request = policy.request
        if request is None or request.intent_name != form.intent:
            return
        frame = frame_of(policy.states, envelope, mount, policy)
        values = dict(frame.values)
        if t.outcome is not None:
            envelope.forms.pop(mount, None)
            if t.outcome == 'done':
                for slot in form.slots:
                    if slot.name not in values and slot.default is not None:
                        values[slot.name] = slot.default
        else:
            book = frame.next_book()
            if book:
                envelope.forms[mount] = book
            else:
                envelope.forms.pop(mount, None)
        setattr(policy.states.attributes, self.info.mounts[mount].store, values)
        frame.values = values
        envelope.frames.pop(mount, None)  # the responder sees it as committed, not re-read
        envelope.frames[mount] = Frame(form, values, envelope.forms.get(mount) or {},
                                       frame.problem, frame.read, frame.request)

    # -- resume across sessions -------------------------------------------------------------------

    def _position(self, envelope: Envelope, state: str) -> Optional[str]:
        if self.mount_of.get(state) in self._recorded:
            return state
        if envelope.digression or state in self.info.digressions:
            top = self._top(envelope)
            if top is not None and self.mount_of.get(top) in self._recorded:
                return top
        return None

    def _record(self, policy: Any, envelope: Envelope, t: Transition, dest: str) -> None:
        """Write the resume record when the task's position or data changed; drop it when the
        task ended (an outcome, clear, a plain transition out); keep it on an ending state."""
        position = self._position(envelope, dest)
        attributes = policy.states.attributes
        record: Optional[Dict[str, Any]] = None
        if position is not None:
            mount = self.info.mounts[self.mount_of[position]]
            data = getattr(attributes, mount.store, None)
            if data:
                stack = [s for s in envelope.stack if s != position]
                record = {'state': position, 'stack': stack,
                          'forms': {m: envelope.forms[m] for m in self._recorded
                                    if m in envelope.forms},
                          'data': {self.info.mounts[m].store:
                                   getattr(attributes, self.info.mounts[m].store, None)
                                   for m in self._recorded if m in self.info.mounts}}
        if record is not None:
            digest = _digest(record)
            if digest != envelope.saved:
                record['at'] = _now(policy.request)
                if _write(policy, {'v': VERSION, 'resume': record}):
                    envelope.saved = digest
            return
        if t.clear or (envelope.saved and not (dest in self.ending and t.outcome is None)):
            _write(policy, None)
            envelope.saved = None

    def _restore(self, policy: Any, envelope: Envelope) -> Optional[str]:
        point = resume_point(policy.states, envelope, self)
        if point is None:
            return None
        for store, values in point.data.items():
            setattr(policy.states.attributes, store, values)
        envelope.forms.update(point.forms)
        envelope.stack = list(point.stack)
        envelope.saved = _digest({k: v for k, v in point.record.items() if k != 'at'})
        return point.state


def _digest(record: Dict[str, Any]) -> str:
    text = json.dumps(record, sort_keys=True, separators=(',', ':'), default=str)
    return hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]


def _now(request: Any) -> float:
    """The turn's time: the request's timestamp (Alexa's clock), else this machine's."""
    stamp = getattr(request, 'timestamp', None)
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp.replace('Z', '+00:00')).timestamp()
        except ValueError:
            pass
    return time.time()


def _memory(policy_or_states: Any) -> Any:
    """The user's persistent attributes, or None: no store, no user, or the store is down."""
    try:
        memory = policy_or_states.persistent_attributes
    except PersistenceError as error:
        logger.info("no resume record: %s", error)
        return None
    return memory if memory.available else None


def _write(policy: Any, value: Optional[Dict[str, Any]]) -> bool:
    memory = _memory(policy)
    if memory is None:
        return False
    if value is None:
        memory.pop(ENVELOPE, None)
    else:
        memory[ENVELOPE] = value
    return True


def resume_point(states: Any, envelope: Envelope, machine: Any = None) -> Optional[ResumePoint]:
    """The user's resume record, if one is kept, fresh and names states that still exist."""
    if envelope.looked_up:
        return envelope.resume_point
    envelope.looked_up = True
    info = _info_of(states)
    settings = info.resume_across_sessions
    if settings is None:
        return None
    memory = _memory(envelope.policy if envelope.policy is not None else states)
    stored = memory.get(ENVELOPE) if memory is not None else None
    record = stored.get('resume') if isinstance(stored, dict) else None
    if not isinstance(record, dict) or not isinstance(record.get('state'), str):
        return None
    states_known = frozenset(info.states)
    state = info.renamed.get(record['state'], record['state'])
    age = _now(states.request) - float(record.get('at') or 0)
    if state not in states_known or age > settings.ttl.total_seconds():
        logger.info("the resume record of state '%s' is %s; starting afresh", state,
                    'too old' if state in states_known else 'for a state that is gone')
        return None
    stack = tuple(s for s in (info.renamed.get(e, e) for e in record.get('stack') or ())
                  if s in states_known)
    data = record.get('data') if isinstance(record.get('data'), dict) else {}
    forms = record.get('forms') if isinstance(record.get('forms'), dict) else {}
    envelope.resume_point = ResumePoint(state, stack, dict(data or {}), dict(forms or {}), age,
                                        record)
    return envelope.resume_point


def frame_of(states: Any, envelope: Envelope, mount: str, policy: Any = None) -> Frame:
    """The frame of ``mount`` this turn, read once (the request's slots validated)."""
    frame = envelope.frames.get(mount)
    if frame is None:
        info = _info_of(states)
        form: FormInfo = info.forms[mount]
        stored = getattr(states.attributes, info.mounts[mount].store, None)
        frame = read_frame(form, stored or {}, envelope.forms.get(mount) or {}, states.request,
                           policy if policy is not None else envelope.policy)
        envelope.frames[mount] = frame
    return frame


def form_check(policy: Any, mount: str, what: str) -> bool:
    """A generated condition of a Form's transition (``FormCheck``) on this turn's frame."""
    states = policy.states
    return frame_of(states, envelope_of(states.attributes), mount, policy).check(what)


class DialogView:
    """``self.dialog`` in States and Policy methods: the stack, the resume, the frame."""

    def __init__(self, states: Any) -> None:
        self._states = states
        self._info = _info_of(states)
        self._envelope = envelope_of(states.attributes)

    @property
    def stack(self) -> Tuple[str, ...]:
        """The suspended states, oldest first."""
        return tuple(self._envelope.stack)

    @property
    def digression(self) -> Optional[str]:
        """The state a push entered, while the digression lasts; else None."""
        return self._envelope.digression

    @property
    def resumed(self) -> bool:
        """Whether this turn came back to a suspended state (or an earlier session's task)."""
        return self._envelope.resumed

    @property
    def interrupted_by(self) -> Optional[str]:
        """The digression this turn resumed from."""
        return self._envelope.interrupted_by

    @property
    def path(self) -> Optional[str]:
        """The mount the conversation is in; None at the root."""
        return self._info.mount_of(self._states.attributes.state)

    @property
    def data(self) -> Any:
        """The current mount's store: the session-attribute field named like the mount."""
        path = self.path
        if path is None:
            return None
        return getattr(self._states.attributes, self._info.mounts[path].store, None)

    @property
    def frame(self) -> Optional[FrameView]:
        """The form's view: of the form the conversation is in, else of the suspended one."""
        mount = self.path
        if mount not in self._info.forms:
            top = next((s for s in reversed(self._envelope.stack)
                        if self._info.mount_of(s) in self._info.forms), None)
            mount = self._info.mount_of(top) if top is not None else None
        if mount is None:
            return None
        frame = frame_of(self._states, self._envelope, mount)
        return FrameView(frame, self._envelope.resumed, self._info.forms[mount].form)

    @property
    def resume_point(self) -> Optional[ResumePoint]:
        """The unfinished task an earlier session left (RESUME_ACROSS_SESSIONS), while the
        conversation is in 'initial' (a launch, and the answer to it); else None."""
        if self._states.attributes.state != INITIAL_STATE:
            return None
        return resume_point(self._states, self._envelope)

    def clear(self) -> None:
        """Forget the stack and the forms' bookkeeping: an escape hatch the tools cannot see."""
        self._envelope.reset()

    def drop(self) -> None:
        """Forget the most recently suspended state: an escape hatch the tools cannot see."""
        if self._envelope.stack:
            self._envelope.stack.pop()


def view_of(states: Any) -> DialogView:
    """``States.dialog``: this turn's view."""
    return DialogView(states)
