"""Skill Search's policy: the conditions and callbacks its transitions name, and its memory."""
from __future__ import annotations

import logging
from typing import Optional

from alexafsm.extensions import Extensions
from alexafsm.policy import Policy
from alexafsm.response import Response
from alexafsm.session_attributes import INITIAL_STATE
from skills.embedded_store import EmbeddedStore
from skills.skillsearch.catalog import Catalog
from skills.skillsearch.catalog import default_catalog
from skills.skillsearch.states import MAX_SKILLS
from skills.skillsearch.states import States

logger = logging.getLogger(__name__)

USERS_DB_ENV = 'SKILLSEARCH_USERS_DB'
USERS_DB_FILE = 'skillsearch-users.sqlite3'
#: The persistent attribute that marks a user who has heard the long welcome.
WELCOMED = 'welcomed'


class SkillSearchPolicy(Policy):
    """Search a skill catalog by voice and walk through the results.

    Who has been welcomed is kept in persistent attributes: in the host's store when it gives one
    (``alexafsm serve --store URL``, ``create_app(..., store=...)``), else in an SQLite file
    at ``$SKILLSEARCH_USERS_DB`` or in the user's cache folder. ``catalog`` is None for the
    shipped catalog; set it on the class to serve other data.
    """

    states_cls = States
    extensions = Extensions(store=EmbeddedStore(USERS_DB_ENV, USERS_DB_FILE))
    catalog: Optional[Catalog] = None

    def get_current_state_response(self) -> Response:
        """Look the user up only when the welcome is spoken, the one answer that depends on it."""
        if self.state == INITIAL_STATE:
            self.attributes.first_time = self._first_visit()
        return super().get_current_state_response()

    def _first_visit(self) -> bool:
        """Whether the user has yet to hear the long welcome, which they are now about to.

        A request without a user id (Alexa always sends one) and a store that cannot be read
        count as a first visit: hearing the help twice beats never hearing it.
        """
        if self.request is None or not self.request.user_id:
            return True
        memory = self.persistent_attributes
        if memory.get(WELCOMED):
            return False
        memory[WELCOMED] = True
        return True

    def _valid_search(self) -> bool:
        """Drop a leading "find", which Alexa leaves in the query when it mishears the phrasing."""
        attributes = self.attributes
        query = attributes.slots.query
        if not query:
            return False
        if query == 'find':
            attributes.slots = attributes.slots._replace(query='')
        elif query.startswith('find '):
            attributes.slots = attributes.slots._replace(query=query[5:])
        return bool(attributes.slots.query) and not self.m_searching_for_exit()

    def m_searching_for_exit(self) -> bool:
        """Alexa sometimes hears "exit" as a search for the word "exit"; the user wants to leave."""
        return self.attributes.slots.query == 'exit'

    def m_search(self) -> None:
        """Search once per turn, although two of NewSearch's transitions name it as prepare."""
        attributes = self.attributes
        if attributes.searched or not self._valid_search():
            return
        attributes.query = attributes.slots.query
        catalog_query = 'search for skills' if attributes.query == 'skills' else attributes.query
        catalog = self.catalog if self.catalog is not None else default_catalog()
        result = catalog.search(catalog_query, MAX_SKILLS)
        logger.info("Searching for %s, got %d hits.", attributes.query, result.total)
        attributes.skills = list(result.skills)
        attributes.number_of_hits = result.total
        attributes.skill_cursor = 0 if result.skills else None
        attributes.searched = True
        attributes.first_time_presenting_results = True

    def m_no_query_search(self) -> bool:
        """No query at all, or just "find" from a user who took too long to finish the sentence."""
        query = self.attributes.slots.query
        return not query or query == 'find'

    def m_no_result(self) -> bool:
        """The search ran and found nothing (a search never run has no query to report)."""
        return bool(self.attributes.query) and not self.m_has_result()

    def m_has_result(self) -> bool:
        """Some search of this session found skills, so there is a current skill to talk about."""
        attributes = self.attributes
        return attributes.query is not None and bool(attributes.skills)

    def m_has_result_and_query(self) -> bool:
        """Present results only for a real query, not for an empty NewSearch after a search."""
        return self.m_has_result() and not self.m_no_query_search()

    def m_has_nth(self) -> bool:
        """The ordinal the user said points at one of the skills found."""
        return self.m_has_result() and \
            len(self.attributes.skills) > self.attributes.nth_as_index >= 0

    def m_set_nth(self) -> None:
        """Go to the skill the user named; its presentation is not the first of the results."""
        self.attributes.skill_cursor = self.attributes.nth_as_index
        self.attributes.first_time_presenting_results = False

    def m_has_next(self) -> bool:
        """Another skill follows the current one."""
        return self.m_has_result() and \
            self.attributes.skill_cursor + 1 < len(self.attributes.skills)

    def m_set_next(self) -> None:
        """Go to the next skill."""
        self.attributes.skill_cursor += 1
        self.attributes.first_time_presenting_results = False

    def m_has_previous(self) -> bool:
        """A skill precedes the current one."""
        return self.m_has_result() and self.attributes.skill_cursor > 0

    def m_set_previous(self) -> None:
        """Go to the previous skill."""
        self.attributes.skill_cursor -= 1
        self.attributes.first_time_presenting_results = False
