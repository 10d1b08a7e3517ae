"""lambda_handler: serve a skill from AWS Lambda, where Alexa invokes the function directly.

Amazon exempts Lambda endpoints from signature checks (only Alexa can invoke a function whose
trigger names the skill), so nothing is verified here except the application id. Lambda has
no HTTP status: a refused event raises :class:`RejectedRequest`, so Lambda reports a failed
invocation, the caller learns nothing, and CloudWatch gets the reason. This module does not
import Flask, which keeps cold starts short.

Typical ``lambda_function.py``::

    from alexafsm.hosting import lambda_handler
    from skills.skillsearch import SkillSearchPolicy

    handler = lambda_handler(SkillSearchPolicy, application_ids=['amzn1.ask.skill.1234...'])
"""
import logging
from typing import Any
from typing import Callable
from typing import Collection
from typing import Dict
from typing import Optional
from typing import Sequence
from typing import Type
from typing import Union

from alexafsm.extensions import AttributesStore
from alexafsm.extensions import Tracker
from alexafsm.hosting.endpoint import RejectedRequest
from alexafsm.hosting.endpoint import check_application_ids
from alexafsm.hosting.endpoint import check_policy
from alexafsm.hosting.endpoint import check_record_to
from alexafsm.hosting.endpoint import respond
from alexafsm.persistence import host_extensions
from alexafsm.policy import Policy

logger = logging.getLogger('alexafsm.hosting')

LambdaHandler = Callable[[Any, Any], Dict[str, Any]]


def lambda_handler(policy_cls: Type[Policy], *,
                   application_ids: Optional[Collection[str]] = None,
                   record_to: Optional[str] = None,
                   store: Union[str, AttributesStore, None] = None,
                   analytics: Union[Tracker, Sequence[Tracker], None] = None) -> LambdaHandler:
    """The ``handler(event, context)`` Lambda calls, answering with the response envelope.

    Give ``application_ids`` in production: a Lambda function's trigger can be shared with
    other skills by mistake, and the id is the only thing telling their requests apart.
    ``record_to`` appends each turn to a JSON-lines file (on Lambda, only /tmp is writable).
    ``store`` and ``analytics`` are ``create_app``'s: a Redis URL is the store that suits
    Lambda, whose instances share no disk.
    """
    policy_cls = check_policy(policy_cls)
    ids = check_application_ids(application_ids)
    record_to = check_record_to(record_to)
    extensions = host_extensions(store=store, analytics=analytics)

    def handler(event: Any, context: Any = None) -> Dict[str, Any]:
        """Answer one Alexa event; raises RejectedRequest for events this skill must not act on."""
        reply = respond(policy_cls, event, application_ids=ids, record_to=record_to,
                        extensions=extensions)
        if reply.rejection is not None:
            raise reply.rejection
        return reply.envelope
    return handler


__all__ = ['lambda_handler', 'LambdaHandler', 'RejectedRequest']
