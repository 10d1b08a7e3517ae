"""A pytest plugin that runs ``*.story.yaml`` files, one test per story.

The story file names the skill with a top-level ``skill: package.module:PolicyClass`` (see
``alexafsm.testing.stories`` for the format). Enable it with ``-p alexafsm.testing.pytest_plugin``
or ``pytest_plugins = ['alexafsm.testing.pytest_plugin']`` in a conftest.py, unless the installed
package registers it already. The skill, its model and the story machinery are imported only
when a story file is collected, so the plugin costs nothing in projects without stories.
"""
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Iterator
from typing import Optional
from typing import Type
from typing import Union

import pytest

from alexafsm.errors import StoryFailed

if TYPE_CHECKING:
    from alexafsm.policy import Policy
    from alexafsm.testing.stories import Story
    from alexafsm.tools.interaction_model import InteractionModel

__all__ = ['pytest_collect_file', 'StoryCollector', 'StoryItem', 'StoryFailed', 'SUFFIXES']

SUFFIXES = ('.story.yaml', '.story.yml')


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional['StoryCollector']:
    """Claim story files; every other file is left to the other collectors."""
    if file_path.name.endswith(SUFFIXES):
        return StoryCollector.from_parent(parent, path=file_path)
    return None


class StoryCollector(pytest.File):
    """A story file: loads it and its skill, and yields one test per story."""

    def collect(self) -> Iterator['StoryItem']:
        """Fail collection with the file's own mistake, not a traceback into this plugin."""
        from alexafsm.loader import PolicyLoadError
        from alexafsm.loader import load_policy
        from alexafsm.testing.stories import StoryError
        from alexafsm.testing.stories import load_stories
        from alexafsm.tools.interaction_model import ModelError
        from alexafsm.tools.interaction_model import load_model

        try:
            stories = load_stories(self.path)
        except StoryError as error:
            raise self.CollectError(str(error)) from None
        if not stories.skill:
            raise self.CollectError(
                f"{self.path}: the story file does not say which skill to run: add a top-level "
                f"'skill: package.module:PolicyClass'")
        try:
            policy_cls = load_policy(stories.skill)
        except PolicyLoadError as error:
            raise self.CollectError(f"{self.path}: skill {stories.skill!r}: {error}") from None
        try:
            model = load_model(stories.model) if stories.model else None
        except ModelError as error:
            raise self.CollectError(f"{self.path}: model: {error}") from None
        for story in stories.stories:
            yield StoryItem.from_parent(self, name=story.name, story=story,
                                        policy_cls=policy_cls, model=model)


class StoryItem(pytest.Item):
    """One story, run in a fresh conversation."""

    def __init__(self, *, story: 'Story', policy_cls: Type['Policy'],
                 model: Optional['InteractionModel'], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.story = story
        self.policy_cls = policy_cls
        self.model = model

    def runtest(self) -> None:
        """Run the story; a failing turn fails the test with the story's report."""
        from alexafsm.testing.stories import run_story

        result = run_story(self.policy_cls, self.story, model=self.model)
        if not result.passed:
            raise StoryFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Union[str, Any]:
        """The story's report instead of a traceback into the plugin."""
        if isinstance(excinfo.value, StoryFailed):
            return excinfo.value.result.report()
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple:
        """Where the story is, for pytest's headers."""
        return self.path, None, f"story: {self.name}"
