"""What Skill Search remembers between turns: the query, the skills found and where the user is."""
from __future__ import annotations

from collections import namedtuple
from typing import Any
from typing import Iterable
from typing import Optional

from alexafsm.session_attributes import INITIAL_STATE
from alexafsm.session_attributes import SessionAttributes as SessionAttributesBase
from skills.skillsearch.catalog import Skill

Slots = namedtuple('Slots', ['query', 'nth'])
NUMBER_SUFFIXES = ('st', 'nd', 'rd', 'th')
ENGLISH_NUMBERS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth',
                   'ninth', 'tenth']
CARDINAL_NUMBERS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']


class SessionAttributes(SessionAttributesBase):
    """The session of one user; ``searched`` and ``first_time`` are facts about this turn only."""

    slots_cls = Slots
    not_sent_fields = ['searched', 'first_time']

    def __init__(self,
                 intent: Optional[str] = None,
                 slots: Any = None,
                 state: str = INITIAL_STATE,
                 query: Optional[str] = None,
                 skills: Optional[Iterable[Any]] = None,
                 number_of_hits: Optional[int] = None,
                 skill_cursor: Optional[int] = None,
                 searched: bool = False,
                 first_time: bool = True,
                 first_time_presenting_results: bool = False,
                 said_interrupt: bool = False) -> None:
        """Take skills as ``Skill`` objects or as the JSON a previous turn sent through Alexa."""
        super().__init__(intent, slots, state)
        self.query = query
        self.skills = [s if isinstance(s, Skill) else Skill.from_json(s)
                       for s in skills] if skills else None
        self.number_of_hits = number_of_hits
        self.skill_cursor = skill_cursor
        self.searched = searched
        self.first_time = first_time
        self.first_time_presenting_results = first_time_presenting_results
        self.said_interrupt = said_interrupt

    @property
    def nth_as_index(self) -> int:
        """The position the user asked for, or -1 when Alexa heard nothing we can count.

        Alexa fills the Nth slot with whatever was recognised: "third", "three", "3" and, only
        SOMETIMES, "5th" instead of "fifth" (yet "second" rather than "2nd"), so all are parsed.
        """
        nth = (self.slots.nth or '').strip().lower()
        for words in (ENGLISH_NUMBERS, CARDINAL_NUMBERS):
            if nth in words:
                return words.index(nth)
        if nth[-2:] in NUMBER_SUFFIXES:
            nth = nth[:-2]
        try:
            return int(nth) - 1 if nth.isdigit() else -1
        except ValueError:  # more digits than int() accepts
            return -1

    @property
    def skill(self) -> Optional[Skill]:
        """The skill the conversation is about; None if the session has none to point at.

        That only happens to a session carried over a change of state names or data, whose
        state says a skill is being presented; such a turn should not end in an apology.
        """
        cursor = self.skill_cursor
        if not self.skills or not isinstance(cursor, int) or not 0 <= cursor < len(self.skills):
            return None
        return self.skills[cursor]
