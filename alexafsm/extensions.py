"""Extensions: how persistent attributes, analytics and interceptors plug into a skill's turns.

An ``Extensions`` bundle holds an attributes store, analytics trackers, request and response
interceptors and error handlers. Set it on the Policy class, or let a host pass one
(``create_app(..., store=..., analytics=...)``); the two are combined, the host's interceptors
outermost. The core defines only these interfaces; the stores live in ``alexafsm.persistence``
and the analytics back ends in ``alexafsm.analytics``::

    from alexafsm.extensions import Extensions
    from alexafsm.persistence import store_from_url

    hooks = Extensions(store=store_from_url('sqlite:///skill.sqlite3'))

    @hooks.request_interceptor
    def log_turn(policy):
        logger.info("%s in %s", policy.request.intent_name, policy.state)

    @hooks.response_interceptor
    def localize(policy, response):
        if policy.request.locale == 'de-DE':
            return response._replace(speech=translate(response.speech))

    @hooks.error_handler
    def catalog_down(policy, error):
        if isinstance(error, CatalogUnavailable):
            return Response(speech="The catalog is resting. Try again in a minute.")

    class MyPolicy(Policy):
        states_cls = MyStates
        extensions = hooks

        def m_count_visit(self):
            self.persistent_attributes['visits'] = self.persistent_attributes.get('visits', 0) + 1

A turn then runs (``alexafsm.turn``): request interceptors (in registration order), the
machine, response interceptors (in reverse order; one may return a replacement Response, or None
to keep it), the response check, and saving the persistent attributes if they changed. An
exception in any of them goes to the error handlers in order; the first to return a Response
answers and the others are not asked; if none does, the user hears the apology, and the failure
observers are told (``fn(request, stage, error)``). Either way the session and the persistent
attributes stay as they were. Analytics get the final response, off the request path.

Persistent attributes are loaded on first use and saved after the turn only if they changed.
A store with a ``lock(key)`` method (all of ``alexafsm.persistence``'s) queues the turns of one
user: the turn takes the lock before loading and lets it go when its try ends, so turns of one
user at once take turns instead of racing. Should the lock's bounded wait run out and another
turn of the same user save first, the whole turn runs again on the fresh data,
up to ``max_attempts`` times, so every turn counts exactly once; interceptors and callbacks of
such a turn run again too, so keep their side effects outside (analytics run once). A store
that is down or slow costs the turn at most its short timeout: the skill sees an empty
mapping whose ``available`` is False, nothing is saved, and the error is logged.
"""
import json
import logging
import threading
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Protocol
from typing import Tuple
from typing import runtime_checkable

from alexafsm import background
from alexafsm.errors import ArgumentTypeError
from alexafsm.errors import ArgumentValueError
from alexafsm.errors import LateRegistrationError
from alexafsm.errors import PersistenceError
from alexafsm.errors import StoreUnavailable
from alexafsm.jsonable import jsonable
from alexafsm.request import Request

__all__ = ['Extensions', 'Persistence', 'PersistentAttributes', 'AttributesStore', 'Record',
           'Tracker', 'RequestInterceptor', 'ResponseInterceptor', 'ErrorHandler',
           'FailureObserver', 'KeyFunction', 'user_key', 'person_key', 'device_key',
           'canonical_json', 'not_configured', 'DEFAULT_MAX_ATTEMPTS', 'PersistenceError',
           'StoreUnavailable']

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3


class Record(NamedTuple):
    """What a store keeps for one key: the attributes as JSON text, and a version to check."""
    text: str
    version: Any


@runtime_checkable
class AttributesStore(Protocol):
    """Where each user's persistent attributes live between sessions.

    ``save`` is a compare-and-set: it writes only if the stored version is still ``version``
    (None: no record yet) and returns False otherwise, which is how two turns of one user on
    two workers avoid overwriting each other. Raise StoreUnavailable when the store fails or
    does not answer within a fraction of a second: Alexa waits for the turn.

    A store may also offer ``lock(key)``, returning a function that releases the lock, or None
    when its bounded wait ran out; the turn pipeline then takes it before ``load`` and releases
    it after ``save``, so one user's turns queue (``alexafsm.persistence.locks``).
    """

    def load(self, key: str) -> Optional[Record]:
        """The record of ``key``, or None when there is none (or it expired)."""

    def save(self, key: str, text: str, version: Any) -> bool:
        """Write ``text`` if the record is still at ``version``; False when it is not."""

    def close(self) -> None:
        """Release connections and files."""


@runtime_checkable
class Tracker(Protocol):
    """An analytics back end: told about every answered turn, on a background thread.

    ``track`` may block (a network call); the core never calls it on the request path. It must
    not change the request or the response.
    """

    def track(self, request: Request, response: Dict[str, Any]) -> None:
        """Record one turn: the parsed request and the response envelope sent to Alexa."""


#: Called with the policy before the machine runs: logging, metrics, setting up the turn.
RequestInterceptor = Callable[[Any], None]
#: Called with the policy and the Response; returns a replacement Response or None to keep it.
ResponseInterceptor = Callable[[Any, Any], Any]
#: Called with the policy and the exception; returns a Response to answer with, or None.
ErrorHandler = Callable[[Any, Exception], Any]
#: Told of every turn that ended in the apology: the request, the stage that failed (see
#: ``alexafsm.turn``) and the exception. For tools that must learn of failures, such as a fuzzer.
FailureObserver = Callable[[Request, str, BaseException], None]
#: Which stored record a request belongs to.
KeyFunction = Callable[[Request], Optional[str]]


def user_key(request: Request) -> Optional[str]:
    """One record per Amazon account and skill: the default, like 0.1.11's DynamoDB table."""
    return request.user_id


def person_key(request: Request) -> Optional[str]:
    """One record per recognised voice, so a household's members keep their own memory.

    Falls back to the account when Alexa did not recognise the speaker, as Amazon's SDK does.
    """
    return request.person_id or request.user_id


def device_key(request: Request) -> Optional[str]:
    """One record per Echo, for memory that belongs to a room rather than to a person."""
    return request.device_id


def canonical_json(data: Dict[str, Any], key: str = '?') -> str:
    """The attributes as JSON text with sorted keys, so equal data always gives equal text.

    Comparing this text is how a turn knows whether it changed anything worth writing.
    """
    try:
        return json.dumps(jsonable(data), sort_keys=True, separators=(',', ':'),
                          ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        bad = [name for name, value in data.items() if not _is_json(value)]
        where = f"persistent_attributes[{bad[0]!r}]" if bad else "persistent_attributes"
        raise PersistenceError(f"{where} of '{key}' cannot be stored as JSON ({error}): keep "
                               f"only dicts, lists, strings, numbers, booleans and None in "
                               f"persistent attributes (NaN and infinity are not JSON)") from None


def _is_json(value: Any) -> bool:
    try:
        json.dumps(jsonable(value), allow_nan=False)
        return True
    except (TypeError, ValueError):
        return False


class PersistentAttributes(dict):
    """The current user's memory across sessions: a plain dict of JSON values.

    ``available`` is False when the store could not be read this turn; the dict is then empty
    and nothing will be saved, so a skill can tell a new user from a store outage.
    """

    def __init__(self, data: Dict[str, Any], key: str, version: Any = None,
                 available: bool = True) -> None:
        super().__init__(data)
        self.key = key
        self.available = available
        self.version = version
        self.snapshot = canonical_json(self, key) if available else ''


class Persistence:
    """One turn's access to the store: loads on first use, saves only what changed.

    ``serialise`` (the turn pipeline's) takes the store's per-key lock, if it has one, before
    loading and holds it until ``release()``: the turns of one user then take their attributes
    one after another instead of racing and running again.
    """

    __slots__ = ('store', 'key_function', 'request', '_attributes', 'serialise', '_release')

    def __init__(self, store: AttributesStore, key_function: KeyFunction,
                 request: Optional[Request], serialise: bool = False) -> None:
        self.store = store
        self.key_function = key_function
        self.request = request
        self.serialise = serialise
        self._attributes: Optional[PersistentAttributes] = None
        self._release: Optional[Callable[[], None]] = None

    @property
    def loaded(self) -> bool:
        """Whether the turn looked at its persistent attributes (most turns need not)."""
        return self._attributes is not None

    @property
    def attributes(self) -> PersistentAttributes:
        """The user's attributes, read from the store on first use in the turn."""
        if self._attributes is None:
            self._attributes = self._load()
        return self._attributes

    def release(self) -> None:
        """Let the next turn of this user in: the pipeline's hook at the end of each try."""
        release, self._release = self._release, None
        if release is not None:
            try:
                release()
            except Exception:
                logger.exception("releasing the lock of %s failed; it expires by itself",
                                 _describe(self.store))

    def _load(self) -> PersistentAttributes:
        key = self._key()
        request_id = self.request.request_id if self.request is not None else None
        lock = getattr(self.store, 'lock', None) if self.serialise else None
        try:
            if lock is not None:
                self._release = lock(key)
                if self._release is None:
                    logger.warning("request %s: other turns of '%s' held its persistent "
                                   "attributes past the lock's wait; this turn goes on "
                                   "without waiting (it runs again if one saves first)",
                                   request_id, key)
            record = self.store.load(key)
        except Exception as error:
            self.release()
            _log_unavailable(request_id, self.store, 'read', key, error)
            return PersistentAttributes({}, key, available=False)
        if record is None:
            return PersistentAttributes({}, key)
        try:
            data = json.loads(record.text)
            if type(data) is not dict:
                raise ValueError(f"a JSON {type(data).__name__}, not an object")
        except ValueError as error:
            logger.error("request %s: the stored persistent attributes of '%s' in %s are not a "
                         "JSON object (%s); this turn goes on without them and does not "
                         "overwrite them: repair or delete the record", request_id, key,
                         _describe(self.store), error)
            self.release()
            return PersistentAttributes({}, key, available=False)
        return PersistentAttributes(data, key, record.version)

    def _key(self) -> str:
        key = self.key_function(self.request) if self.request is not None else None
        if not isinstance(key, str) or not key:
            how = getattr(self.key_function, '__name__', repr(self.key_function))
            raise PersistenceError(
                f"persistent attributes are stored per {how}(request), and this request has "
                f"none ({key!r}): Alexa sends context.System.user.userId, device.deviceId and "
                f"(for recognised voices) person.personId; test requests need them too, or pick "
                f"another key with Extensions(key=...)")
        return key

    def commit(self) -> bool:
        """Save the attributes if the turn changed them; False when another turn saved first.

        A store failure is logged and the turn keeps its answer: nothing is written, so what
        the store holds stays as it was.
        """
        attributes = self._attributes
        if attributes is None or not attributes.available:
            return True
        text = canonical_json(attributes, attributes.key)
        if text == attributes.snapshot:
            return True
        try:
            saved = self.store.save(attributes.key, text, attributes.version)
        except Exception as error:
            _log_unavailable(self.request.request_id if self.request is not None else None,
                             self.store, 'write', attributes.key, error)
            return True
        return bool(saved)


def _describe(store: Any) -> str:
    return getattr(store, 'description', None) or type(store).__name__


def _log_unavailable(request_id: Optional[str], store: Any, action: str, key: str,
                     error: Exception) -> None:
    expected = isinstance(error, StoreUnavailable)  # its message names the store already
    detail = str(error) if expected else f"{_describe(store)}: {type(error).__name__}: {error}"
    if getattr(error, 'outcome_unknown', False):
        logger.error("request %s: the store did not confirm the write of the persistent "
                     "attributes of '%s' (%s); the outcome is unknown: the store may still "
                     "apply it late, and the turn goes on", request_id, key, detail)
        return
    logger.error("request %s: could not %s the persistent attributes of '%s' (%s); the turn "
                 "goes on without saving them", request_id, action, key, detail,
                 exc_info=None if expected else error)


def not_configured(where: str) -> PersistenceError:
    """The error for skill code that reads persistent attributes when no store was given."""
    return PersistenceError(
        f"{where} uses persistent_attributes, but no attributes store is configured: pass "
        f"store='sqlite:///skill.sqlite3' (or 'redis://host:6379/0', 'memory://') to "
        f"create_app, lambda_handler or Conversation, run 'alexafsm serve --store URL', or set "
        f"extensions = Extensions(store=alexafsm.persistence.store_from_url(URL)) on the "
        f"Policy class")


def _callables(kind: str, values: Any) -> List[Callable[..., Any]]:
    if values is None:
        return []
    if callable(values):
        values = [values]
    result = list(values)
    for value in result:
        if not callable(value):
            raise ArgumentTypeError(f"{kind} must be functions, got {value!r}")
    return result


def _trackers(values: Any) -> List[Tracker]:
    if values is None:
        return []
    if isinstance(values, (list, tuple)):
        result = list(values)
    else:
        result = [values]
    for value in result:
        if not callable(getattr(value, 'track', None)):
            raise ArgumentTypeError(f"analytics must be objects with a track(request, response) "
                                    f"method (such as alexafsm.analytics.JsonLines or VoiceLabs), "
                                    f"got {value!r}")
    return result


class Extensions:
    """A skill's or a host's store, analytics, interceptors, error handlers, failure observers.

    Register interceptors at import time: once an Extensions object has been combined with
    another for a turn, registering more raises, since turns already running would not see them.
    """

    def __init__(self, store: Optional[AttributesStore] = None, analytics: Any = None,
                 request_interceptors: Iterable[RequestInterceptor] = (),
                 response_interceptors: Iterable[ResponseInterceptor] = (),
                 error_handlers: Iterable[ErrorHandler] = (),
                 key: Optional[KeyFunction] = None, max_attempts: Optional[int] = None,
                 worker: Optional[background.Worker] = None,
                 failure_observers: Iterable[FailureObserver] = ()) -> None:
        if store is not None and not (callable(getattr(store, 'load', None))
                                      and callable(getattr(store, 'save', None))):
            hint = (": turn a URL into a store with alexafsm.persistence.store_from_url(url)"
                    if isinstance(store, str) else '')
            raise ArgumentTypeError(f"store must be an attributes store with load() and save(), "
                                    f"such as alexafsm.persistence.SqliteStore, "
                                    f"got {store!r}{hint}")
        if key is not None and not callable(key):
            raise ArgumentTypeError(f"key must be a function of the request, such as "
                                    f"alexafsm.extensions.person_key, got {key!r}")
        if max_attempts is not None and (not isinstance(max_attempts, int) or max_attempts < 1):
            raise ArgumentValueError(f"max_attempts must be a positive number of tries of a turn, "
                                     f"got {max_attempts!r}")
        self.store = store
        self.analytics = _trackers(analytics)
        self.request_interceptors = _callables('request interceptors', request_interceptors)
        self.response_interceptors = _callables('response interceptors', response_interceptors)
        self.error_handlers = _callables('error handlers', error_handlers)
        self.failure_observers = _callables('failure observers', failure_observers)
        self.key = key
        self.max_attempts = max_attempts
        self.worker = worker
        self._combined: Dict[int, Tuple[Extensions, Extensions]] = {}
        self._sealed = False
        self._lock = threading.Lock()

    def request_interceptor(self, fn: RequestInterceptor) -> RequestInterceptor:
        """Register ``fn(policy)`` to run before each turn; usable as a decorator."""
        self._register(self.request_interceptors, fn, 'request interceptor')
        return fn

    def response_interceptor(self, fn: ResponseInterceptor) -> ResponseInterceptor:
        """Register ``fn(policy, response)`` to run after each turn; usable as a decorator."""
        self._register(self.response_interceptors, fn, 'response interceptor')
        return fn

    def error_handler(self, fn: ErrorHandler) -> ErrorHandler:
        """Register ``fn(policy, error)`` to answer a failed turn; usable as a decorator."""
        self._register(self.error_handlers, fn, 'error handler')
        return fn

    def failure_observer(self, fn: FailureObserver) -> FailureObserver:
        """Register ``fn(request, stage, error)``, told of each turn that ends in the apology.

        Usable as a decorator. It hears of the failure whether or not anyone reads the log;
        what it raises is logged and does not change the answer.
        """
        self._register(self.failure_observers, fn, 'failure observer')
        return fn

    def _register(self, hooks: List[Callable[..., Any]], fn: Any, kind: str) -> None:
        if not callable(fn):
            article = 'an' if kind[0] in 'aeiou' else 'a'
            raise ArgumentTypeError(f"{article} {kind} must be a function, got {fn!r}")
        if self._sealed:
            raise LateRegistrationError(f"{kind} {getattr(fn, '__name__', fn)!r} was registered "
                                        f"after these extensions served a turn: register it at "
                                        f"import time, next to the Policy class")
        hooks.append(fn)

    @property
    def attempts(self) -> int:
        """How often a turn is tried when other turns of the same user keep saving first."""
        return self.max_attempts or DEFAULT_MAX_ATTEMPTS

    @property
    def key_function(self) -> KeyFunction:
        """Which record a request belongs to: ``key``, or the Alexa user by default."""
        return self.key or user_key

    def over(self, base: Optional['Extensions']) -> 'Extensions':
        """These extensions (a host's) combined with ``base`` (the Policy class's), built once.

        This object's store, key, attempts and worker win where set; analytics of both run;
        this object's interceptors are registered first, so they run outermost (a host's logging
        sees the whole turn); the skill's error handlers are asked first; observers of both are
        told, the skill's first.
        """
        if base is None or base is self:
            return self
        cached = self._combined.get(id(base))
        if cached is not None:
            return cached[1]
        with self._lock:
            self._sealed = base._sealed = True
            combined = Extensions(
                store=self.store if self.store is not None else base.store,
                analytics=base.analytics + self.analytics,
                request_interceptors=self.request_interceptors + base.request_interceptors,
                response_interceptors=self.response_interceptors + base.response_interceptors,
                error_handlers=base.error_handlers + self.error_handlers,
                failure_observers=base.failure_observers + self.failure_observers,
                key=self.key or base.key, max_attempts=self.max_attempts or base.max_attempts,
                worker=self.worker or base.worker)
            combined._sealed = True
            self._combined[id(base)] = (base, combined)  # base kept alive: its id stays unique
        return combined

    def persistence(self, request: Optional[Request], serialise: bool = False
                    ) -> Optional[Persistence]:
        """A turn's access to the store, or None when no store is configured.

        ``serialise``: queue behind the user's other turns (the pipeline's turns, which release).
        """
        if self.store is None:
            return None
        return Persistence(self.store, self.key or user_key, request, serialise)

    def track(self, request: Request, response: Dict[str, Any]) -> None:
        """Hand the turn to every tracker on the background worker; returns at once."""
        worker = self.worker or background.shared()
        for tracker in self.analytics:
            worker.submit(tracker.track, request, response)

    def close(self) -> None:
        """Close the store and the trackers that can be closed, e.g. when a server stops."""
        for resource in [self.store, *self.analytics]:
            close = getattr(resource, 'close', None)
            if callable(close):
                try:
                    close()
                except Exception:
                    logger.exception("closing %r failed", resource)
