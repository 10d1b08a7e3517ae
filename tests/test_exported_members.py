"""The public surface of each module is declared, and is exactly the documented list below.

In the style of httpx's ``tests/test_exported_members.py``: a name enters or leaves a module's
``__all__`` only together with this list, so the public API changes on purpose and in review.
Every module-level name a module defines is either exported or ``_underscored``, so what is
not listed here is visibly internal. ``alexafsm`` itself is checked as httpx checks ``httpx``:
its namespace holds exactly what it exports (and its submodules).
"""
import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import alexafsm

# module -> its exported names, space-separated, sorted case-insensitively
EXPORTED = {
    'alexafsm.turn': (
        'apology_envelope ENTER ERROR_HANDLER FIRE INITIALIZE OUTSIDE_A_TURN RENDER '
        'REQUEST_INTERCEPTOR RESPONSE_INTERCEPTOR ResponseJSON run run_on_new_policy SAVE '
        'track_voice_insights turn_request TurnContext TurnFailed '
    ),
    'alexafsm.policy': (
        'apology_envelope Policy ResponseJSON track_voice_insights '
    ),
    'alexafsm.states': (
        'States TRANSITION_KEYS TransitionError TRANSITIONS with_transitions '
    ),
    'alexafsm.extensions': (
        'AttributesStore canonical_json DEFAULT_MAX_ATTEMPTS device_key ErrorHandler Extensions '
        'FailureObserver KeyFunction not_configured Persistence PersistenceError '
        'PersistentAttributes person_key Record RequestInterceptor ResponseInterceptor '
        'StoreUnavailable Tracker user_key '
    ),
    'alexafsm': (
        'AlexafsmError amazon_intent INITIAL_STATE Policy Request Response SessionAttributes '
        'States with_transitions '
    ),
    'alexafsm.amazon_intent': (
        'CANCEL FALLBACK HELP LOOP_OFF LOOP_ON MORE NAVIGATE_HOME NAVIGATE_SETTINGS NEXT NO '
        'PAGE_DOWN PAGE_UP PAUSE PREVIOUS REPEAT REQUIRED RESUME SCROLL_DOWN SCROLL_LEFT '
        'SCROLL_RIGHT SCROLL_UP SELECT SHUFFLE_OFF SHUFFLE_ON START_OVER STOP YES '
    ),
    'alexafsm.analytics': 'Analytics API_KEY_VARIABLE JsonLines VoiceLabs',
    'alexafsm.background': 'Event EXIT_TIMEOUT shared Stats Worker',
    'alexafsm.cli': 'COMMANDS main',
    'alexafsm.cli.chat': 'command',
    'alexafsm.cli.console': 'command',
    'alexafsm.console': (
        'API_HEADER attach_console console_app console_blueprint CONSOLE_PATH ConsoleSession '
        'find_model '
    ),
    'alexafsm.console.app': (
        'API_HEADER attach_console console_app console_blueprint CONSOLE_PATH graph_svg '
        'LOOPBACK_HOSTS '
    ),
    'alexafsm.console.session': 'ConsoleError ConsoleSession DIALOG_KEY skill_spec',
    'alexafsm.cli.coverage': 'command',
    'alexafsm.cli.fuzz': 'command',
    'alexafsm.cli.graph': 'command',
    'alexafsm.cli.new': 'command scaffold TEMPLATES',
    'alexafsm.cli.playback': 'command',
    'alexafsm.cli.print': 'command',
    'alexafsm.cli.serve': 'command',
    'alexafsm.cli.skill': 'DEV_STORE model_option serve_store skill_model skill_model_option '
                          'skill_policy store_option',
    'alexafsm.cli.stories': 'command',
    'alexafsm.cli.validate': 'command STRICTNESS',
    'alexafsm.errors': (
        'AlexafsmError ArgumentTypeError ArgumentValueError CallbackError CheckFailed '
        'ConsoleError ConversationError DialogError Exhausted FuzzError GraphError '
        'HookResultError InputFileError Invalid LateRegistrationError MalformedRequestError '
        'MissingPackageError MissingRecording MissingStateError ModelError NotHandled '
        'NotSerializableError PersistenceError PolicyLoadError RecordingError RejectedRequest '
        'RequestError ResponseError SkillClassError SkillDefinitionError StoreUnavailable '
        'StoryError StoryFailed ToolError TransitionError TurnError TurnFailed UnavailableError '
        'UsageError ValidationError VerificationError '
    ),
    'alexafsm.hosting': (
        'create_app lambda_handler RejectedRequest RequestVerifier VerificationError '
    ),
    'alexafsm.hosting.aws_lambda': 'lambda_handler LambdaHandler RejectedRequest',
    'alexafsm.hosting.checks': (
        'check_application_id MalformedRequestError normalize_application_ids parse_request '
        'VerificationError '
    ),
    'alexafsm.hosting.endpoint': (
        'check_application_ids check_policy check_record_to error_body MAX_BODY_BYTES rejected '
        'RejectedRequest Reply RequestInput respond too_large '
    ),
    'alexafsm.hosting.flask_app': 'create_app HEALTH_PATH read_body',
    'alexafsm.hosting.server': (
        'BoundedServer ChunkedInput make_server MAX_CONNECTIONS READ_TIMEOUT REQUEST_TIMEOUT '
    ),
    'alexafsm.hosting.verify': (
        'CERT_URL_HEADER CERT_URL_HOST CERT_URL_PATH_PREFIX CERT_URL_PORT certifi_roots '
        'CHAIN_CACHE_SIZE ChainCache check_application_id check_cert_url check_signature '
        'check_timestamp DEFAULT_TOLERANCE ECHO_API_DOMAIN FAILURE_TTL FETCH_DEADLINE '
        'fetch_https FETCH_TIMEOUT LEGACY_SIGNATURE_HEADER '
        'MalformedRequestError MAX_CHAIN_BYTES parse_request RequestVerifier SIGNATURE_HEADER '
        'signature_headers SKILL_EVENT_TOLERANCE SKILL_EVENT_TYPES VerificationError '
        'VerifiedChain verify_chain '
    ),
    'alexafsm.hosting.wsgi': 'app',
    'alexafsm.jsonable': 'all_plain jsonable plain_dict plain_list SCALARS',
    'alexafsm.loader': 'load_policy PolicyLoadError skill_files skill_folders skill_model_path',
    'alexafsm.machine': (
        'build_transitions_machine Callback CallbackError Machine NotHandled state_order '
        'Transition WILDCARD_ALL WILDCARD_SAME '
    ),
    'alexafsm.make_json_serializable': '',
    'alexafsm.persistence': (
        'AttributesStore host_extensions MemoryStore open_store Record RedisStore SqliteStore '
        'store_from_url StoreUnavailable '
    ),
    'alexafsm.persistence.locks': 'DEFAULT_LOCK_WAIT FileKeyLocks KeyLocks lock_offset Release',
    'alexafsm.persistence.memory': 'MemoryStore',
    'alexafsm.persistence.redis': 'DEFAULT_PREFIX DEFAULT_TIMEOUT LOCK_LEASE RedisStore',
    'alexafsm.persistence.sqlite': 'DEFAULT_TIMEOUT LOCK_SUFFIX SqliteStore TABLE',
    'alexafsm.persistence.url': 'host_extensions open_store store_from_url',
    'alexafsm.request': (
        'CAN_FULFILL describe_request ER_SUCCESS_MATCH EXCEPTION_ENCOUNTERED INTENT LAUNCH '
        'parse Request Resolution Resolved ResolvedValue SESSION_ENDED Slot '
    ),
    'alexafsm.response': (
        'apology APOLOGY Card check_limits DIALOG_DIRECTIVES Directive empty end MAX_CARD_CHARS '
        'MAX_RESPONSE_BYTES MAX_SPEECH_CHARS NOT_UNDERSTOOD parse_ssml render reprompt_of Response '
        'ResponseError speech_of Ssml ssml ssml_problem SSML_TAGS updated_intent '
        'WARN_RESPONSE_BYTES '
    ),
    'alexafsm.session_attributes': 'ENVELOPE INITIAL_STATE NoSlots SessionAttributes',
    'alexafsm.dialogs': 'Dialog Form Invalid RESUME Resume Slot',
    'alexafsm.dialogs.compiled': (
        'dialog_info DialogInfo FormCheck FormInfo FormSlot MountInfo mounts_of OUTCOMES '
        'uses_dialogs '
    ),
    'alexafsm.test_helpers': (
        'get_requests_responses MissingRecording recordable recording_name '
    ),
    'alexafsm.testing': (
        'Console Conversation ConversationError dump_stories fuzz load_stories reduce replay '
        'respond run_story speech_of Story StoryError StoryFile StoryResult StoryTurn Turn '
        'UtteranceMatcher '
    ),
    'alexafsm.testing.chat': (
        'BUILTIN_SAMPLES COMMANDS Console Match normalize parse_ssml RemoteSkill run '
        'speech_text UtteranceMatcher '
    ),
    'alexafsm.testing.conversation': (
        'Conversation ConversationError MEMORY PathOrModel respond Turn '
    ),
    'alexafsm.testing.dialog_checks': (
        'DIGRESSION_PUSH DIGRESSION_RETURN digression_trigger ENVELOPE_LIMIT frame_values '
        'response_stack STACK_INVARIANT stack_problems stack_violation was_resumed '
    ),
    'alexafsm.testing.dialogue': 'Dialog dialog_of has_dialog_model',
    'alexafsm.testing.fuzz': (
        'APOLOGY_SPEECH CanFulfill CheckedTurn dump_findings EXCEPTION Failure Finding fuzz '
        'FuzzError FuzzReport INVALID_RESPONSE LOGGED_ERROR LONG_VALUE Problem reduce '
        'Reduction replay response_problems ssml_problem Step story_steps TurnCheck '
        'UNDECLARED_STATE '
    ),
    'alexafsm.testing.playback': (
        'diff_responses Mismatch playback PlaybackReport word_diff '
    ),
    'alexafsm.testing.pytest_plugin': (
        'pytest_collect_file StoryCollector StoryFailed StoryItem SUFFIXES '
    ),
    'alexafsm.testing.resume_check': (
        'check_resume ResumeFinding ResumeReport Snapshot snapshot '
    ),
    'alexafsm.testing.reduction': 'ddmin Exhausted PlainValues shrink simplify Test',
    'alexafsm.testing.requests': (
        'API_ENDPOINT APPLICATION_ID Caller can_fulfill_request CONFIRMATION_STATUSES '
        'custom_type_resolution DEFAULT_CALLER DEVICE_ID DIALOG_STATES ER_SUCCESS_NO_MATCH '
        'ERROR_TYPES exception_encountered_request intent_request launch_request new_session_id '
        'random_id SESSION_END_REASONS session_ended_request slot_words SlotResolutions timestamp '
        'USER_ID utc_now '
    ),
    'alexafsm.testing.response_checks': 'Problem response_problems ssml_problem',
    'alexafsm.testing.stories': (
        'ACTIONS dump_stories END_ACTION EXPECTATIONS FILE_KEYS INTENT_ACTION INTENT_OPTIONS '
        'LAUNCH_ACTION load_stories Mismatch parse_stories run_story Story STORY_KEYS '
        'StoryError StoryFile StoryResult Turn '
    ),
    'alexafsm.tools': '',
    'alexafsm.tools.coverage': (
        'coverage CoverageReport DeclaredTransition events_states_transitions fired_transition '
        'get_dialogs Step turn_step unused_events_states_transitions usage_counts '
        'used_events_states_transitions '
    ),
    'alexafsm.tools.describe': (
        'callback_name condition_labels DEFAULT_ENDING_STATES describe ending_states_of '
        'machine_listing machine_of machine_text policy_class PolicyLike '
    ),
    'alexafsm.tools.dialog_facts': (
        'Config DEFAULT_MAX_STACK digression_scope Exploration explore EXPLORE_LIMIT '
        'fired_transition forms_of in_scope is_dialog_transition is_resume max_stack mount_path '
        'mounts_of never_suspended otherwise_of push_sources resume_targets stack_of state_edges '
        'unsuspended uses_dialogs '
    ),
    'alexafsm.tools.dialog_validation': 'DIALOG_CHECKS dialog_problems Problem',
    'alexafsm.tools.graph': (
        'ANY_STATE BACK digraph drawn_edges edge_id edge_key GraphError IMAGE_FORMATS '
        'LARGE_GRAPH_EDGES node_id output_format render TEXT_FORMATS to_dot Usage '
    ),
    'alexafsm.tools.interaction_model': (
        'BUILTIN_PREFIX DEFAULT_LOCALE Intent InteractionModel load_legacy load_model LOCALES '
        'ModelError Prompt PromptVariation Slot SlotType SlotValue Validation '
    ),
    'alexafsm.tools.validation': (
        'CHECKS counts ERROR Finding INFO report_text SEVERITIES summary_json validate_policy '
        'WARNING '
    ),
    'alexafsm.transcript': (
        'append_turn parse_turns PathLike read_turns RecordedTurn RecordingError redact REDACTED '
        'turn_line '
    ),
    'alexafsm.utils': 'COMPAT_CHECKS graph print_machine validate ValidationError',
}
# Modules whose surface lands with the turn pipeline (alexafsm.turn), which rewrites them.
# Module-level names that are neither API nor underscored, by long convention.
CONVENTIONAL = {'logger'}
PACKAGE = Path(alexafsm.__file__).parent


def package_modules():
    # a module whose own name starts with '_' is internal, like a name in a module
    return ['alexafsm'] + [info.name for info in
                           pkgutil.walk_packages(alexafsm.__path__, 'alexafsm.')
                           if not info.name.rpartition('.')[2].startswith('_')]


def documented(module_name):
    return EXPORTED[module_name].split()


def defined_names(module_name):
    """The names a module's own top-level code binds (not the names it imports)."""
    module = importlib.import_module(module_name)
    tree = ast.parse(Path(module.__file__).read_text(encoding='utf-8'))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    yield name.id


def test_every_module_is_documented_here():
    assert sorted(set(package_modules())) == sorted(EXPORTED)


def test_the_lists_here_are_sorted_so_changes_read_well():
    for module_name, names in EXPORTED.items():
        assert names.split() == sorted(names.split(), key=str.casefold), module_name


@pytest.mark.parametrize('module_name', sorted(EXPORTED))
def test_a_module_exports_exactly_its_documented_names(module_name):
    module = importlib.import_module(module_name)
    exported = module.__all__
    assert len(exported) == len(set(exported)), module_name
    assert sorted(exported, key=str.casefold) == documented(module_name)
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize('module_name', sorted(EXPORTED))
def test_what_a_module_does_not_export_is_underscored(module_name):
    public = {name for name in defined_names(module_name)
              if not name.startswith('_') and name not in CONVENTIONAL}
    assert sorted(public - set(documented(module_name))) == []


def test_alexafsm_provides_exactly_what_it_exports():
    provided = {name for name, value in vars(alexafsm).items() if not name.startswith('_')
                and not (inspect.ismodule(value) and name not in alexafsm.__all__)}
    assert sorted(provided, key=str.casefold) == documented('alexafsm')


def test_star_imports_give_the_documented_names():
    for module_name in ('alexafsm', 'alexafsm.errors', 'alexafsm.hosting', 'alexafsm.testing',
                        'alexafsm.persistence'):
        namespace = {}
        exec(f'from {module_name} import *', namespace)
        assert sorted(set(namespace) - {'__builtins__'}, key=str.casefold) == \
            documented(module_name)
