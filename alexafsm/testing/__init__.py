"""Test a skill by talking to it: conversations, request builders and YAML stories.

``Conversation`` plays the part of Alexa and a user, ``alexafsm.testing.requests`` builds every
request type Alexa sends, and ``alexafsm.testing.stories`` runs conversations written as YAML
(the pytest plugin ``alexafsm.testing.pytest_plugin`` collects ``*.story.yaml`` files). A story's
turn is ``StoryTurn`` here, to tell it from the ``Turn`` a conversation returns. Names load on
first use, so that pytest loading the plugin does not load YAML and the skill machinery.
"""
from importlib import import_module
from typing import Any

_CONVERSATION = 'alexafsm.testing.conversation'
_STORIES = 'alexafsm.testing.stories'
_LAZY = {
    'Conversation': (_CONVERSATION, 'Conversation'),
    'ConversationError': (_CONVERSATION, 'ConversationError'),
    'Turn': (_CONVERSATION, 'Turn'),
    'respond': (_CONVERSATION, 'respond'),
    'speech_of': ('alexafsm.response', 'speech_of'),
    'Story': (_STORIES, 'Story'),
    'StoryTurn': (_STORIES, 'Turn'),
    'StoryError': (_STORIES, 'StoryError'),
    'StoryFile': (_STORIES, 'StoryFile'),
    'StoryResult': (_STORIES, 'StoryResult'),
    'dump_stories': (_STORIES, 'dump_stories'),
    'load_stories': (_STORIES, 'load_stories'),
    'run_story': (_STORIES, 'run_story'),
    'fuzz': ('alexafsm.testing.fuzz', 'fuzz'),
    'reduce': ('alexafsm.testing.fuzz', 'reduce'),
    'replay': ('alexafsm.testing.fuzz', 'replay'),
    'UtteranceMatcher': ('alexafsm.testing.chat', 'UtteranceMatcher'),
    'Console': ('alexafsm.testing.chat', 'Console'),
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'alexafsm.testing' has no attribute {name!r}")
    module, attribute = target
    return getattr(import_module(module), attribute)
