"""What Skill Search says in each state, and the transitions into each state."""
from __future__ import annotations

from alexafsm import amazon_intent
from alexafsm import response
from alexafsm.states import States as StatesBase
from alexafsm.states import with_transitions
from skills.skillsearch.attributes import ENGLISH_NUMBERS
from skills.skillsearch.attributes import SessionAttributes
from skills.skillsearch.catalog import Skill
from skills.skillsearch.intents import DESCRIBE_RATINGS
from skills.skillsearch.intents import NEW_SEARCH
from skills.skillsearch.intents import NEXT_SKILL
from skills.skillsearch.intents import NTH_SKILL
from skills.skillsearch.intents import PREVIOUS_SKILL

MAX_SKILLS = 6
SKILL_NAME = "Skill Search"
DEFAULT_PROMPT = "What skill would you like to find?"
HELP = (f"{SKILL_NAME} helps you search for skills. You can ask questions such as:"
        f" how do i order pizza, or, I want to meditate."
        f" For each question, {SKILL_NAME} only retrieves the most relevant skills."
        f" In order to use a skill you find, you must first exit {SKILL_NAME} and then tell Alexa"
        f" to open that skill."
        f" {DEFAULT_PROMPT}")
HEAR_MORE = "Would you like to hear more about it?"
IS_THAT_ALL = "Will that be all?"
INTERRUPT_HINT = "Okay, interrupt me anytime by saying 'Alexa.'"


def _say(*parts: str) -> str:
    return ' '.join(part.strip() for part in parts if part and part.strip())


def _you_asked_for(query: str) -> str:
    return f"You asked for {query}."


def _verbal_ratings(skill: Skill) -> str:
    if skill.num_ratings > 0:
        return f"has an average rating of {skill.avg_rating} from {skill.num_ratings} reviews"
    return "has no reviews at this time"


def _search_first(attributes: SessionAttributes) -> response.Response:
    """The answer when there is no skill to go to, present or describe."""
    if attributes.query and not attributes.skills:
        speech = f"I did not find any skills for query {attributes.query}."
    else:
        speech = f"To navigate to a skill, please search first. {HELP}"
    return response.Response(speech=speech, reprompt=DEFAULT_PROMPT)


def _highlights(skill: Skill) -> str:
    """The words that matched, which tell the user on the card why this skill was found."""
    return '\n'.join(skill.highlights) or skill.description


class States(StatesBase):
    """One method per state of the conversation; each builds the response from the attributes."""

    session_attributes_cls = SessionAttributes
    skill_name = SKILL_NAME
    default_prompt = DEFAULT_PROMPT
    # Where AMAZON.StopIntent and AMAZON.CancelIntent go from each state: out of the skill, back to
    # "will that be all?" while a skill is being presented, or to a new search while the user is
    # still being introduced (interrupting the long welcome should not end the session).
    EXIT_ON_STOP_STATES = ['no_result', 'search_prompt', 'is_that_all', 'bad_navigate',
                           'no_query_search', 'exiting']
    CONTINUE_ON_STOP_STATES = ['describing', 'has_result', 'describe_ratings']
    PROMPT_ON_STOP_STATES = ['initial', 'helping']

    def initial(self) -> response.Response:
        """Welcome; first-time users also hear what the skill can do."""
        if self.attributes.first_time:
            welcome_speech = f"Welcome to {self.skill_name}. {HELP}"
        else:
            welcome_speech = f"Welcome to {self.skill_name}, {self.default_prompt}"
        return response.Response(speech=welcome_speech, reprompt=self.default_prompt)

    @with_transitions({'trigger': amazon_intent.HELP, 'source': '*'},
                      {'trigger': amazon_intent.FALLBACK, 'source': '*'})
    def helping(self) -> response.Response:
        """Explain the skill; also the answer to anything Alexa could not match to an intent."""
        return response.Response(speech=HELP, reprompt=DEFAULT_PROMPT)

    @with_transitions({'trigger': NEW_SEARCH, 'source': '*', 'conditions': 'm_no_query_search'})
    def no_query_search(self) -> response.Response:
        """No query heard (or just "find", said too slowly), so ask for one with examples."""
        return response.Response(
            speech="Please say what it is that you want to do. For example, 'I want to buy "
                   "flowers'. Or, 'I want to get a ride.'",
            reprompt=DEFAULT_PROMPT)

    @with_transitions({'trigger': NEW_SEARCH, 'source': '*', 'prepare': 'm_search',
                       'conditions': 'm_no_result'})
    def no_result(self) -> response.Response:
        """Nothing found: repeat the query, so a misheard one is noticed, and suggest help."""
        return response.Response(
            speech=_say(_you_asked_for(self.attributes.query),
                        "I could not find any such skills. Please rephrase, or say help me, "
                        "for help."),
            reprompt=DEFAULT_PROMPT)

    @with_transitions(
        {'trigger': NEW_SEARCH, 'source': '*', 'prepare': 'm_search',
         'conditions': 'm_has_result_and_query'},
        {'trigger': NTH_SKILL, 'source': '*', 'conditions': 'm_has_nth', 'after': 'm_set_nth'},
        {'trigger': PREVIOUS_SKILL, 'source': '*', 'conditions': 'm_has_previous',
         'after': 'm_set_previous'},
        {'trigger': NEXT_SKILL, 'source': '*', 'conditions': 'm_has_next', 'after': 'm_set_next'},
        {'trigger': amazon_intent.NO, 'source': 'has_result', 'conditions': 'm_has_next',
         'after': 'm_set_next'})
    def has_result(self) -> response.Response:
        """Offer one skill of the results; "no" moves on to the next one."""
        attributes = self.attributes
        skill = attributes.skill
        if skill is None:
            return _search_first(attributes)
        first_time = attributes.first_time_presenting_results
        if attributes.number_of_hits == 1:
            position = "The only skill I found is"
        else:
            position = f"The {ENGLISH_NUMBERS[attributes.skill_cursor]} skill is"
            if first_time:
                if attributes.number_of_hits > MAX_SKILLS:
                    position = f"Here are the top {MAX_SKILLS} results. {position}"
                else:
                    position = f"I found {len(attributes.skills)} skills. {position}"
        if attributes.skill_cursor == 0:
            label = "Top result"
        else:
            label = f"{ENGLISH_NUMBERS[attributes.skill_cursor].capitalize()} result"
        return response.Response(
            speech=_say(_you_asked_for(attributes.query) if first_time else '',
                        f"{position} {skill.name}.", HEAR_MORE),
            card=f"Search for {attributes.query}",
            card_content=f"{label}: {skill.name}\n\n{_highlights(skill)}",
            reprompt=DEFAULT_PROMPT)

    @with_transitions(
        {'trigger': NTH_SKILL, 'source': '*', 'unless': 'm_has_nth'},
        {'trigger': PREVIOUS_SKILL, 'source': '*', 'unless': 'm_has_previous'},
        {'trigger': NEXT_SKILL, 'source': '*', 'unless': 'm_has_next'},
        {'trigger': amazon_intent.NO, 'source': 'has_result', 'unless': 'm_has_next'})
    def bad_navigate(self) -> response.Response:
        """Say why "first", "next", "previous" or "no" led nowhere, and how to go on."""
        attributes = self.attributes
        if not attributes.skills:
            return _search_first(attributes)
        if attributes.intent == PREVIOUS_SKILL:
            speech = "There is no previous skill. I am currently at skill number one."
        elif attributes.intent == NEXT_SKILL:
            speech = "Sorry, there is no next skill. How else can I help you?"
        elif attributes.intent == amazon_intent.NO:
            speech = "There are no more results. Please try a different search phrase."
        else:
            nth = attributes.nth_as_index
            if nth >= 0:
                speech = (f"You asked for skill {nth + 1}. I found only "
                          f"{len(attributes.skills)} skills for the query {attributes.query}.")
            else:
                speech = ("Sorry, I'm not sure which skill you want to go to. Please rephrase. "
                          "For example, tell me about skill 3.")
        return response.Response(speech=speech, reprompt=DEFAULT_PROMPT)

    @with_transitions({'trigger': DESCRIBE_RATINGS, 'source': '*', 'conditions': 'm_has_result'})
    def describe_ratings(self) -> response.Response:
        """How well-liked the current skill is, for a user deciding whether to hear more."""
        skill = self.attributes.skill
        if skill is None:
            return _search_first(self.attributes)
        return response.Response(
            speech=f"{skill.name} {_verbal_ratings(skill)}. "
                   f"Would you like to hear more about this skill?",
            reprompt="Would you like to hear more about this skill?")

    @with_transitions(
        {'trigger': amazon_intent.NO, 'source': ['describing', 'is_that_all']},
        {'trigger': amazon_intent.CANCEL, 'source': PROMPT_ON_STOP_STATES},
        {'trigger': amazon_intent.STOP, 'source': PROMPT_ON_STOP_STATES},
        {'trigger': amazon_intent.NAVIGATE_HOME, 'source': '*'})
    def search_prompt(self) -> response.Response:
        """Ready for a new search."""
        return response.Response(speech=DEFAULT_PROMPT, reprompt=DEFAULT_PROMPT)

    @with_transitions({'trigger': amazon_intent.YES, 'source': ['has_result', 'describe_ratings']})
    def describing(self) -> response.Response:
        """Describe the current skill, with a card that shows its icon in the Alexa app."""
        attributes = self.attributes
        skill = attributes.skill
        if skill is None:
            return _search_first(attributes)
        if skill.num_ratings > 0:
            rating = f"{skill.avg_rating} (from {skill.num_ratings} reviews)"
        else:
            rating = "No reviews yet"
        hint = ''
        if not attributes.said_interrupt:
            hint = INTERRUPT_HINT
            attributes.said_interrupt = True
        return response.Response(
            speech=_say(hint, f"{skill.name}.", skill.short_description),
            card=skill.name,
            card_content=f"Creator: {skill.creator}\nCategory: {skill.category}\n"
                         f"Average rating: {rating}\n{skill.description}",
            image=skill.image_url,
            reprompt=IS_THAT_ALL)

    @with_transitions(
        {'trigger': amazon_intent.NO, 'source': 'describe_ratings'},
        {'trigger': amazon_intent.CANCEL, 'source': CONTINUE_ON_STOP_STATES},
        {'trigger': amazon_intent.STOP, 'source': CONTINUE_ON_STOP_STATES})
    def is_that_all(self) -> response.Response:
        """Check whether the user is done before ending the session."""
        return response.Response(speech=f"Okay, {IS_THAT_ALL}", reprompt=IS_THAT_ALL)

    @with_transitions(
        {'trigger': amazon_intent.YES, 'source': ['describing', 'is_that_all']},
        {'trigger': amazon_intent.CANCEL, 'source': EXIT_ON_STOP_STATES},
        {'trigger': amazon_intent.STOP, 'source': EXIT_ON_STOP_STATES},
        {'trigger': NEW_SEARCH, 'source': '*', 'conditions': 'm_searching_for_exit'})
    def exiting(self) -> response.Response:
        """Say goodbye and end the session."""
        return response.end(SKILL_NAME)
