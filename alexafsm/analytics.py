"""Analytics: record every answered turn somewhere, without ever slowing a turn down.

An analytics back end is an object with ``track(request, response)``: the parsed
``alexafsm.request.Request`` and the response envelope Alexa received. Pass it to a host
(``create_app(Policy, analytics=JsonLines('turns.jsonl'))``, ``lambda_handler(...,
analytics=...)``) or put it in the Policy's ``Extensions(analytics=[...])``. The core never
calls ``track`` on the request path: each turn is queued for ``alexafsm.background``'s worker,
which runs it with a deadline and drops events (counted in ``worker.stats``) when the back end
cannot keep up. So ``track`` may block, and it must not change the request or the response.

Two back ends come with alexafsm:

``JsonLines(path)``
    appends each turn as the JSON line ``[request, response]``, tokens redacted: the format of
    ``alexafsm serve --record``, so the file also feeds ``alexafsm coverage`` and ``playback``.
``VoiceLabs(api_key=None)``
    VoiceLabs' VoiceInsights, as 0.1.11's ``policy.handle(request, voice_insights)`` used it:
    initialized once per session with the token from ``VOICELABS_API_KEY``, tracked per intent.
"""
import abc
import os
import threading
from collections import OrderedDict
from typing import Any
from typing import Callable
from typing import Dict
from typing import Optional

from alexafsm.errors import ArgumentValueError
from alexafsm.errors import MissingPackageError
from alexafsm.request import SESSION_ENDED
from alexafsm.request import Request
from alexafsm.transcript import append_turn
from alexafsm.turn import track_voice_insights

__all__ = ['API_KEY_VARIABLE', 'Analytics', 'JsonLines', 'VoiceLabs']

API_KEY_VARIABLE = 'VOICELABS_API_KEY'


class Analytics(abc.ABC):
    """Base class of analytics back ends; ``track`` runs on a background thread."""

    @abc.abstractmethod
    def track(self, request: Request, response: Dict[str, Any]) -> None:
        """Record one answered turn; may block, since no user waits for it."""

    def close(self) -> None:  # noqa: B027 (an optional hook: most back ends hold nothing)
        """Release files or connections when the host stops."""


class JsonLines(Analytics):
    """Every turn appended to ``path`` as one JSON line, written atomically by the core."""

    def __init__(self, path: 'str | os.PathLike[str]') -> None:
        self.path = os.fspath(path)
        try:
            with open(self.path, 'a', encoding='utf-8'):
                pass
        except OSError as error:
            raise ArgumentValueError(
                f"cannot write analytics to {self.path!r}: {error.strerror}; pass "
                f"a path in an existing, writable folder") from None

    def track(self, request: Request, response: Dict[str, Any]) -> None:
        """Append the turn; ``append_turn`` redacts tokens, as a recording must."""
        append_turn(self.path, request.raw, response)

    def __repr__(self) -> str:
        return f"JsonLines({self.path!r})"


class VoiceLabs(Analytics):
    """VoiceLabs VoiceInsights, one per live session so each session is initialized once.

    A ``VoiceInsights`` object remembers one session, so a shared one would send INITIALIZE
    again whenever two users' turns alternate. The most recent ``max_sessions`` are kept.
    """

    def __init__(self, api_key: Optional[str] = None, max_sessions: int = 1024,
                 insights_factory: Optional[Callable[[], Any]] = None) -> None:
        api_key = api_key if api_key is not None else os.environ.get(API_KEY_VARIABLE)
        if not api_key or not api_key.strip():
            raise ArgumentValueError(f"VoiceLabs needs its app token: set the environment variable "
                                     f"{API_KEY_VARIABLE} or pass VoiceLabs(api_key=...)")
        if insights_factory is None:
            try:
                from voicelabs import VoiceInsights
            except ImportError:
                raise MissingPackageError("VoiceLabs analytics need the voicelabs package: "
                                          "pip install voicelabs") from None
            insights_factory = VoiceInsights
        self.api_key = api_key
        self.max_sessions = max_sessions
        self.insights_factory = insights_factory
        self._sessions: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def track(self, request: Request, response: Dict[str, Any]) -> None:
        """Initialize the session's VoiceInsights on its first turn, then track its intents."""
        session_id = request.session_id
        if not session_id:
            return
        with self._lock:
            if request.type == SESSION_ENDED:
                self._sessions.pop(session_id, None)
                return
            insights = self._sessions.pop(session_id, None)
            if insights is None:
                insights = self.insights_factory()
            self._sessions[session_id] = insights
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        track_voice_insights(insights, self.api_key, request, response)
