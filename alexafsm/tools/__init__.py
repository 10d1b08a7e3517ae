"""Tools that read a skill without running it for a user: its machine, its model, its recordings.

``interaction_model`` reads Alexa interaction models (current and legacy formats),
``validation`` checks a machine against one, ``describe`` prints a machine as text or JSON,
``graph`` draws it with graphviz and ``coverage`` matches recorded turns against it. Tools
import only the core and each other, never hosting or testing, so a skill's build step can
validate and draw without Flask, and the core never loads them: import the module you need.
"""

__all__ = []
