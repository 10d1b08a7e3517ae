"""0.1.11's test helpers: record what external services answer, then replay it in tests.

``recordable`` keeps 0.1.11's signature, but stores results as JSON rather than pickle, because
loading a pickle runs whatever code the file names and recordings get shared and committed.
A result is stored under a key that is the same on every run and machine: a SHA-256 of the
function's qualified name and the canonical JSON of its arguments, positional or keyword, with
defaults filled in. So results must be JSON: objects with ``to_json()`` are converted, and
``decode`` rebuilds them on playback::

    recordable = functools.partial(test_helpers.recordable, settings.record_dir,
                                   lambda: settings.playback, lambda: settings.record)

    @recordable(decode=SearchResults.from_json)
    def search(query: str, top_n: int = 5) -> SearchResults:
        ...

(0.1.11 code that writes ``recordable(dir_fn, playback_fn, record_fn)(function)`` is unchanged.)
"""
import functools
import hashlib
import inspect
import json
import os
import tempfile
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Tuple

from alexafsm.errors import MissingRecording
from alexafsm.errors import NotSerializableError
from alexafsm.errors import RecordingError
from alexafsm.jsonable import jsonable
from alexafsm.transcript import read_turns

__all__ = ['recordable', 'recording_name', 'get_requests_responses', 'MissingRecording']


def _identity(value: Any) -> Any:
    return value


def recordable(record_dir_function: Callable[[], str], is_playback: Callable[[], bool],
               is_record: Callable[[], bool], *,
               decode: Callable[[Any], Any] = _identity) -> Callable[[Callable], Callable]:
    """Decorate a function that calls an external service, so tests can record and replay it.

    On each call, if ``is_playback()`` the recorded result is returned (through ``decode``),
    else if ``is_record()`` the function runs and its result is saved in
    ``record_dir_function()``, else it just runs. A first parameter named ``self`` or ``cls``
    is not part of the key, so methods can be recorded.
    """
    def decorate(function: Callable) -> Callable:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            playback = is_playback()
            if not playback and not is_record():
                return function(*args, **kwargs)
            arguments = _arguments(function, signature, args, kwargs)
            path = os.path.join(record_dir_function(), recording_name(function, arguments))
            if playback:
                return decode(_load(path, function, arguments))
            result = function(*args, **kwargs)
            _save(path, function, arguments, result)
            return result

        return wrapper

    return decorate


def recording_name(function: Callable, arguments: Dict[str, Any]) -> str:
    """The file name of a result: readable function name, stable hash of name and arguments."""
    canonical = json.dumps(arguments, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    digest = hashlib.sha256(f"{function.__qualname__}\n{canonical}".encode()).hexdigest()
    return f"{function.__name__}_{digest[:32]}.json"


def get_requests_responses(record_file: str) -> List[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """The (request, response) pairs of a recording, in recorded order, as 0.1.11 returned."""
    return [(turn.request, turn.response) for turn in read_turns(record_file)]


def _arguments(function: Callable, signature: inspect.Signature, args: Tuple[Any, ...],
               kwargs: Dict[str, Any]) -> Dict[str, Any]:
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    first = next(iter(signature.parameters), None)
    if first in ('self', 'cls'):
        arguments.pop(first, None)
    converted = {}
    for name, value in arguments.items():
        try:
            converted[name] = jsonable(value)
        except TypeError:
            raise NotSerializableError(
                f"{function.__qualname__}(): argument {name!r} is a {type(value).__name__}, "
                f"which has no JSON form, and recordings are keyed by the arguments' JSON: "
                f"give {type(value).__name__} a to_json() method, or pass a plain value "
                f"instead") from None
    return converted


def _describe_call(function: Callable, arguments: Dict[str, Any]) -> str:
    shown = ', '.join(f"{name}={json.dumps(value, ensure_ascii=False)}"
                      for name, value in arguments.items())
    return f"{function.__qualname__}({shown})"


def _load(path: str, function: Callable, arguments: Dict[str, Any]) -> Any:
    try:
        with open(path, encoding='utf-8') as file:
            text = file.read()
    except FileNotFoundError:
        raise MissingRecording(
            f"no recorded result of {_describe_call(function, arguments)}: looked for {path}; "
            f"run the test once with recording on (is_record() true, is_playback() false) to "
            f"record it, or check the arguments, which the recording is keyed by") from None
    try:
        return json.loads(text)['result']
    except (ValueError, KeyError, TypeError):
        raise RecordingError(f"{path} is not a recording of {function.__qualname__}: expected a "
                             f"JSON object with a 'result'; delete it and record again") from None


def _save(path: str, function: Callable, arguments: Dict[str, Any], result: Any) -> None:
    try:
        stored = jsonable(result)
    except TypeError:
        raise NotSerializableError(
            f"{function.__qualname__}() returned a {type(result).__name__}, which has no JSON "
            f"form, so it cannot be recorded: give it a to_json() method, and pass "
            f"decode={type(result).__name__}.from_json (or another function) to recordable() "
            f"to rebuild it on playback") from None
    text = json.dumps({'function': function.__qualname__, 'arguments': arguments,
                       'result': stored}, ensure_ascii=False, indent=1, sort_keys=True)
    directory = os.path.dirname(path) or '.'
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, suffix='.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
