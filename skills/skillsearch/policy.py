"""Skill Search's policy: the conditions and callbacks its transitions name, and its two stores."""
from __future__ import annotations

import logging
from typing import Optional

from alexafsm.policy import Policy
from alexafsm.response import Response
from alexafsm.session_attributes import INITIAL_STATE
from skills.skillsearch.catalog import Catalog, default_catalog
from skills.skillsearch.states import MAX_SKILLS, States
from skills.skillsearch.users import UserStore, default_store

logger = logging.getLogger(__name__)


class SkillSearchPolicy(Policy):
    """Search a skill catalog by voice and walk through the results.

    ``catalog`` and ``users`` are None to use the shipped catalog and the user store configured
    by ``SKILLSEARCH_USERS_DB``; set them (on the class) to serve other data or to test.
    """

    states_cls = States
    catalog: Optional[Catalog] = None
    users: Optional[UserStore] = None

    def get_current_state_response(self) -> Response:
        """Look the user up only when the welcome is spoken, the one answer that depends on it."""
        if self.state == INITIAL_STATE:
            self._recognise_user()
        return super().get_current_state_response()

    def _recognise_user(self) -> None:
        user_id = self.request.user_id if self.request is not None else None
        if not user_id:
            return
        users = self.users if self.users is not None else default_store()
        first_time = not users.seen(user_id)
        if first_time:
            users.remember(user_id)
        self.attributes.first_time = first_time

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
