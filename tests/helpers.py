"""Small builders the core tests share: real-shaped requests and a JSON round trip."""
import json
from typing import Any
from typing import Dict
from typing import Optional


def intent_request(intent: str, slots: Optional[Dict[str, Optional[str]]] = None,
                   attributes: Optional[Dict[str, Any]] = None,
                   request_id: str = 'amzn1.echo-api.request.test') -> Dict[str, Any]:
    """An IntentRequest as Alexa sends it, slots given by name (None: heard no value)."""
    request = base_request('IntentRequest', attributes, request_id)
    request['request']['intent'] = {
        'name': intent, 'confirmationStatus': 'NONE',
        'slots': {name: ({'name': name, 'value': value, 'confirmationStatus': 'NONE'}
                         if value is not None else {'name': name, 'confirmationStatus': 'NONE'})
                  for name, value in (slots or {}).items()}}
    return request


def base_request(kind: str, attributes: Optional[Dict[str, Any]] = None,
                 request_id: str = 'amzn1.echo-api.request.test') -> Dict[str, Any]:
    """Any request type with a session carrying ``attributes``."""
    return {
        'version': '1.0',
        'session': {'new': attributes is None, 'sessionId': 'amzn1.echo-api.session.test',
                    'application': {'applicationId': 'amzn1.ask.skill.test'},
                    'user': {'userId': 'amzn1.ask.account.test'},
                    'attributes': attributes or {}},
        'context': {'System': {'application': {'applicationId': 'amzn1.ask.skill.test'},
                               'user': {'userId': 'amzn1.ask.account.test'},
                               'device': {'deviceId': 'amzn1.ask.device.test'}}},
        'request': {'type': kind, 'requestId': request_id, 'locale': 'en-US',
                    'timestamp': '2026-11-21T12:00:00Z'},
    }


def over_the_wire(value: Any) -> Any:
    """What Alexa hands back: the JSON text of a response, parsed again."""
    return json.loads(json.dumps(value))


def isolate_embedded_store(monkeypatch: Any, policy_cls: type, path: Any) -> None:
    """Give an example skill a fresh, unopened embedded store whose file would be ``path``.

    No test may open the real one, which lives in the user's cache folder.
    """
    from alexafsm.extensions import Extensions
    from skills.embedded_store import EmbeddedStore

    store = policy_cls.extensions.store
    monkeypatch.setenv(store.env_var, str(path))
    monkeypatch.setattr(policy_cls, 'extensions',
                        Extensions(store=EmbeddedStore(store.env_var, store.file_name)))
