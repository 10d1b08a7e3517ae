"""Names of Amazon's built-in intents, for triggers: ``{'trigger': amazon_intent.HELP, ...}``."""

__all__ = ['YES', 'NO', 'HELP', 'STOP', 'CANCEL', 'FALLBACK', 'NAVIGATE_HOME', 'REPEAT',
           'START_OVER', 'NEXT', 'PREVIOUS', 'PAUSE', 'RESUME', 'MORE', 'LOOP_ON', 'LOOP_OFF',
           'SHUFFLE_ON', 'SHUFFLE_OFF', 'SCROLL_UP', 'SCROLL_DOWN', 'SCROLL_LEFT', 'SCROLL_RIGHT',
           'PAGE_UP', 'PAGE_DOWN', 'NAVIGATE_SETTINGS', 'SELECT', 'REQUIRED']

YES = 'AMAZON.YesIntent'
NO = 'AMAZON.NoIntent'
HELP = 'AMAZON.HelpIntent'
STOP = 'AMAZON.StopIntent'
CANCEL = 'AMAZON.CancelIntent'
FALLBACK = 'AMAZON.FallbackIntent'
NAVIGATE_HOME = 'AMAZON.NavigateHomeIntent'
REPEAT = 'AMAZON.RepeatIntent'
START_OVER = 'AMAZON.StartOverIntent'
NEXT = 'AMAZON.NextIntent'
PREVIOUS = 'AMAZON.PreviousIntent'
PAUSE = 'AMAZON.PauseIntent'
RESUME = 'AMAZON.ResumeIntent'
MORE = 'AMAZON.MoreIntent'
LOOP_ON = 'AMAZON.LoopOnIntent'
LOOP_OFF = 'AMAZON.LoopOffIntent'
SHUFFLE_ON = 'AMAZON.ShuffleOnIntent'
SHUFFLE_OFF = 'AMAZON.ShuffleOffIntent'
SCROLL_UP = 'AMAZON.ScrollUpIntent'
SCROLL_DOWN = 'AMAZON.ScrollDownIntent'
SCROLL_LEFT = 'AMAZON.ScrollLeftIntent'
SCROLL_RIGHT = 'AMAZON.ScrollRightIntent'
PAGE_UP = 'AMAZON.PageUpIntent'
PAGE_DOWN = 'AMAZON.PageDownIntent'
NAVIGATE_SETTINGS = 'AMAZON.NavigateSettingsIntent'
SELECT = 'AMAZON.SelectIntent'

# Certification requires every state of a skill to answer these.
REQUIRED = (HELP, STOP, CANCEL)
