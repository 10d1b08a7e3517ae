"""The conversation console driven in a real browser: Debian's chromium through chromedriver.

``alexafsm console SKILL`` runs as a user starts it, one server per example skill, and one
headless chromium serves the whole module. The page is used as a person uses it: typing
utterances, pressing buttons, clicking the graph; the checks read what the page shows.

With ``ALEXAFSM_WRITE_SCREENSHOT=1`` the pizza test writes docs/console.png, the README's
picture of the console mid-order; without it nothing in the checkout changes.
"""
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

webdriver = pytest.importorskip('selenium.webdriver', reason='selenium is a test dependency: '
                                'pip install -e .[test]')
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
ALEXAFSM = Path(sys.executable).with_name('alexafsm')
SCREENSHOT = REPO / 'docs' / 'console.png'
WAIT = 20  # seconds a page may take to answer on a loaded CI machine; not a speed check


@pytest.fixture(scope='module')
def browser():
    chromium = shutil.which('chromium')
    driver_path = shutil.which('chromedriver')
    if chromium is None or driver_path is None:
        pytest.fail("chromium and chromedriver are not installed: scripts/setup.sh installs "
                    "them (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                     '--window-size=1500,1000', '--no-first-run', '--disable-extensions',
                     '--disable-background-networking', '--disable-sync',
                     '--disable-component-update', '--metrics-recording-only'):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def console(skill, *args):
    """``alexafsm console SKILL --port 0 ARGS`` until the block ends; yields the page's URL.

    Its first line on stdout names the URL; werkzeug's request log goes to stderr, discarded,
    so no pipe fills up while the tests run.
    """
    process = subprocess.Popen([str(ALEXAFSM), 'console', skill, '--port', '0', *args],
                               cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        with ThreadPoolExecutor(1) as reader:
            line = reader.submit(process.stdout.readline).result(timeout=WAIT)
        found = re.search(r' on (http://127\.0\.0\.1:\d+/console/)$', line)
        assert found, f"no URL from alexafsm console, but {line!r}"
        yield found.group(1)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope='module')
def pizza():
    with console('skills.pizza') as url:
        yield url


@pytest.fixture(scope='module')
def skillsearch():
    with console('skills.skillsearch') as url:
        yield url


class Page:
    """The console page as its user sees it."""

    def __init__(self, driver, url):
        self.driver = driver
        self.url = url

    def open(self):
        self.driver.get(self.url)
        self.wait(lambda d: d.find_element(By.TAG_NAME, 'body').get_attribute('data-ready'))
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '#graph svg g.node'))
        self.click('reset')
        self.wait(lambda d: not self.entries())
        return self

    def wait(self, condition, message=''):
        try:
            return WebDriverWait(self.driver, WAIT).until(condition)
        except TimeoutException:
            error = self.driver.find_element(By.ID, 'error').text
            raise AssertionError(f"{message} (the page's error line: {error!r})") from None

    def click(self, element_id):
        self.driver.find_element(By.ID, element_id).click()

    def entries(self):
        return self.driver.find_elements(By.CSS_SELECTOR, '#transcript > li.entry')

    def act(self, action):
        """Do something that adds transcript entries; wait until the page shows them."""
        before = len(self.entries())
        action()
        self.wait(lambda d: len(self.entries()) > before, 'the transcript did not grow')
        return self.entries()[-1]

    def say(self, text, one_shot=False):
        def typing():
            field = self.driver.find_element(By.ID, 'utterance')
            field.clear()
            field.send_keys(text)
            self.click('say-one-shot' if one_shot else 'say')
        return self.act(typing)

    def new_session(self):
        return self.act(lambda: self.click('new-session'))

    def speech(self, entry):
        return [e.text for e in entry.find_elements(By.CSS_SELECTOR, '.turn .speech')]

    def current_state(self):
        return self.driver.find_element(By.ID, 'current-state').text

    def highlighted(self, selector):
        """The titles of graph elements with the class: the states or edges lit up."""
        return [e.get_attribute('textContent')
                for e in self.driver.find_elements(By.CSS_SELECTOR, f'#graph {selector} > title')]


def test_pizza_console_takes_an_order_and_saves_it_as_a_story(browser, pizza, tmp_path):
    page = Page(browser, pizza).open()
    assert page.highlighted('g.node.current') == []

    launch = page.new_session()
    assert page.speech(launch) == ['Welcome to Pizza Palace. Would you like to order a pizza?']
    assert page.current_state() == 'initial'
    assert page.highlighted('g.node.current') == ['initial']

    ordering = page.say('order a pizza')
    assert 'What size would you like' in ordering.text  # the dialog model's prompt
    assert page.highlighted('g.node.current') == ['order.asking']
    assert page.highlighted('g.edge.last') == ['*->order.asking']  # declared from any state
    assert browser.find_element(By.ID, 'waiting-for').text == \
        'Alexa is asking for size of OrderPizzaIntent'
    page.say('large')
    page.say('thin crust')
    topping = page.say('ham')
    assert page.speech(topping) == ['So far, a large thin crust pizza with ham. Is that for '
                                    'delivery or pickup?']
    assert set(page.highlighted('g.node.visited')) == {'initial', 'order.asking'}
    # the unfinished order is in the user's persistent attributes, in the console's store
    assert '"toppingOne": "HAM"' in browser.find_element(By.ID, 'persistent-attributes').text
    assert 'memory://' in browser.find_element(By.ID, 'store-name').text
    assert '"state": "order.asking"' in browser.find_element(By.ID, 'session-attributes').text
    assert '"IntentRequest"' in browser.find_element(By.ID, 'raw-request').get_attribute(
        'textContent')
    if os.environ.get('ALEXAFSM_WRITE_SCREENSHOT') == '1':
        SCREENSHOT.parent.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))

    page.say('delivery')
    assert page.current_state() == 'order.confirming'
    placed = page.say('yes')
    assert 'Your order is placed' in placed.text
    assert page.highlighted('g.node.current') == ['placed']
    assert {'initial', 'order.asking', 'order.confirming', 'placed'} <= set(
        page.highlighted('g.node.visited'))

    story = tmp_path / 'pizza.story.yaml'
    page.click('save-story')
    name = browser.find_element(By.ID, 'story-name')
    name.clear()
    name.send_keys('ordered in the browser')
    browser.find_element(By.ID, 'story-path').send_keys(str(story))
    page.click('story-write')
    page.wait(lambda d: story.exists(), 'the story was not written')
    assert f'Wrote {story}' in page.wait(
        lambda d: d.find_element(By.ID, 'story-result').text or None)
    text = story.read_text()
    assert 'name: ordered in the browser' in text and 'state: placed' in text
    run = subprocess.run([str(ALEXAFSM), 'stories', 'skills.pizza', str(story)], cwd=REPO,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'all 1 stories passed' in run.stdout


def test_skillsearch_console_searches_and_a_state_shows_its_transitions(browser, skillsearch,
                                                                       tmp_path):
    page = Page(browser, skillsearch).open()
    page.new_session()
    found = page.say('how do i order pizza')
    assert 'I found 2 skills' in found.text
    assert "NewSearch(Query='order pizza')" in found.text
    assert page.highlighted('g.node.current') == ['has_result']
    helping = page.say('help')
    assert 'Skill Search helps you search for skills' in helping.text
    assert page.current_state() == 'helping'
    ended = page.act(lambda: page.click('end-session'))
    assert 'session ended (USER_INITIATED)' in ended.text
    assert browser.find_element(By.ID, 'session-status').text == '(no session open)'

    browser.find_element(By.CSS_SELECTOR, '#graph g.node[id="state:has_result"]').click()
    details = page.wait(lambda d: d.find_element(By.ID, 'state-details').is_displayed()
                        and d.find_element(By.ID, 'state-details'))
    assert details.get_attribute('data-state') == 'has_result'
    assert re.search(r'responder: States\.has_result at skills/skillsearch/states\.py:\d+\n',
                     details.text)
    assert 'Transitions out' in details.text and 'AMAZON.YesIntent' in details.text

    story = tmp_path / 'search.story.yaml'
    page.click('save-story')
    browser.find_element(By.ID, 'story-path').send_keys(str(story))
    page.click('story-write')
    page.wait(lambda d: story.exists(), 'the story was not written')
    run = subprocess.run([str(ALEXAFSM), 'stories', 'skills.skillsearch', str(story)],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_dialog_stack_panel_shows_the_stack_a_skill_keeps(browser):
    model = str(REPO / 'skills' / 'pizza' / 'model' / 'en-US.json')
    with console('tests.fixtures.dialog_stack:StackedPizzaPolicy', '--model', model) as url:
        page = Page(browser, url).open()
        panel = browser.find_element(By.ID, 'dialog-stack')
        assert 'no dialog stack' in panel.text
        page.new_session()
        assert [item.text for item in panel.find_elements(By.CSS_SELECTOR, 'ol > li')] == \
            ['order.asking']
        assert '"digression": "listing_toppings"' in panel.text


def test_problems_alexa_would_find_are_shown_on_the_turn(browser):
    """The fuzzer's fixture that puts a reprompt on its goodbye, which Alexa rejects."""
    model = str(REPO / 'tests' / 'fixtures' / 'fuzzing' / 'model.json')
    with console('tests.fixtures.fuzzing.invalid_response:InvalidResponsePolicy',
                 '--model', model) as url:
        page = Page(browser, url).open()
        launch = page.new_session()
        assert launch.find_elements(By.CSS_SELECTOR, '.problems') == []
        goodbye = page.say('stop')
        problems = [item.text for item in goodbye.find_elements(By.CSS_SELECTOR, '.problems li')]
        assert len(problems) == 1 and problems[0].startswith('reprompt-on-end: ')
        # the raw JSON shows the last turn, and any turn clicked in the transcript
        raw = browser.find_element(By.ID, 'raw-response')
        assert '"shouldEndSession": true' in raw.get_attribute('textContent')
        first = page.entries()[0].find_element(By.CSS_SELECTOR, '.turn')  # the page redrew
        first.click()
        assert '"LaunchRequest"' in browser.find_element(By.ID, 'raw-request').get_attribute(
            'textContent')
        assert 'selected' in first.get_attribute('class')


def test_an_intent_picked_from_the_model_and_a_one_shot(browser, pizza):
    page = Page(browser, pizza).open()
    page.new_session()
    browser.find_element(By.CSS_SELECTOR, '#intent-picker summary').click()
    browser.find_element(By.CSS_SELECTOR, '#intent option[value="OrderPizzaIntent"]').click()
    browser.find_element(By.CSS_SELECTOR, '#slots input[data-slot="size"]').send_keys('small')
    picked = page.act(lambda: page.click('send-intent'))
    assert "OrderPizzaIntent(size='small')" in picked.text
    assert page.current_state() == 'order.asking'
    one_shot = page.say('what toppings do you have', one_shot=True)
    assert one_shot.get_attribute('data-kind') == 'one-shot'
    kinds = [entry.get_attribute('data-kind') for entry in page.entries()]
    assert kinds == ['launch', 'intent', 'end', 'one-shot']


def test_a_recording_is_stepped_through_turn_by_turn(browser, pizza):
    page = Page(browser, pizza).open()
    recording = REPO / 'skills' / 'pizza' / 'recordings' / 'ordering.jsonl'
    browser.find_element(By.ID, 'recording-file').send_keys(str(recording))
    status = page.wait(lambda d: d.find_element(By.ID, 'recording-status').text or None)
    total = len([line for line in recording.read_text().splitlines() if line.strip()])
    assert status == f'ordering.jsonl: 0 of {total} replayed'
    for _ in range(3):
        stepped = page.act(lambda: page.click('step-recording'))
        assert 'same answer as recorded' in stepped.text
    assert browser.find_element(By.ID, 'recording-status').text == \
        f'ordering.jsonl: 3 of {total} replayed'
    assert page.current_state() == 'order.asking'


@pytest.fixture(scope='module')
def elsewhere():
    """A plain page on another origin (another port), as any site the developer visits."""
    class Blank(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'<!DOCTYPE html><title>elsewhere</title><p>another site</p>'
            self.send_response(200)
            self.send_header('Content-Type', 'text/html')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Blank)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}/'
    finally:
        server.shutdown()
        server.server_close()


def test_another_origin_cannot_drive_the_console(browser, pizza, elsewhere):
    """From another site's page, a script tries the console's API the two ways a browser
    allows: with the page's header (stopped by the CORS preflight, which is never granted) and
    as a simple no-cors POST, which the browser sends and the server refuses."""
    page = Page(browser, pizza).open()
    browser.get(elsewhere)
    outcome = browser.execute_async_script('''
        const [target, done] = arguments;
        const results = [];
        fetch(target, {method: 'POST', headers: {'X-Alexafsm-Console': '1',
                       'Content-Type': 'application/json'}, body: '{}'})
          .then((reply) => results.push('read ' + reply.status), () => results.push('blocked'))
          .then(() => fetch(target, {method: 'POST', mode: 'no-cors', body: '{}',
                                     headers: {'Content-Type': 'text/plain'}}))
          .then(() => results.push('sent'), () => results.push('blocked'))
          .then(() => done(results));
    ''', page.url + 'api/launch')
    assert outcome == ['blocked', 'sent']
    browser.get(page.url)
    page.wait(lambda d: d.find_element(By.TAG_NAME, 'body').get_attribute('data-ready'))
    assert page.entries() == []  # neither request launched anything
    # positive control: the same simple POST from the console's own origin would get through
    # to the checks, and is refused there for want of the header and of JSON
    refused = browser.execute_async_script('''
        const [target, done] = arguments;
        fetch(target, {method: 'POST', body: '{}', headers: {'Content-Type': 'text/plain'}})
          .then((reply) => reply.json().then((body) => done([reply.status, body.message])));
    ''', page.url + 'api/launch')
    assert refused[0] == 403 and 'X-Alexafsm-Console' in refused[1]
