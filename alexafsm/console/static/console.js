// alexafsm console: the page redraws from the snapshot every API answer carries.
// Plain DOM, no framework and no build step; text from the skill goes in as text, never as HTML.
'use strict';

(function () {
  const API = 'api/';
  const HEADERS = {'X-Alexafsm-Console': '1'};
  let model = null;
  let snapshot = null;
  let selected = null;  // [entry index, turn index] of the turn whose JSON is shown
  let chosenState = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === 'class') node.className = value;
      else if (key.startsWith('data-')) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  async function call(method, path, body) {
    const options = {method, headers: {...HEADERS}, credentials: 'same-origin'};
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const reply = await fetch(API + path, options);
    const type = reply.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await reply.json() : await reply.text();
    if (!reply.ok) {
      throw new Error((data && data.message) || `${reply.status} ${reply.statusText}`);
    }
    return data;
  }

  function showError(message) {
    const box = $('error');
    box.textContent = message || '';
    box.hidden = !message;
  }

  async function act(method, path, body) {
    try {
      const data = await call(method, path, body);
      showError(null);
      if (data && data.entries) render(data, true);
      return data;
    } catch (error) {
      showError(error.message);
      return null;
    }
  }

  function json(value) {
    return JSON.stringify(value, null, 2);
  }

  // -- the transcript ----------------------------------------------------------------------

  function renderTurn(turn, entryIndex, turnIndex) {
    const box = el('div', {class: 'turn', 'data-state': turn.state || ''});
    box.append(el('div', {class: 'said'}, turn.said));
    if (turn.speech) box.append(el('div', {class: 'speech'}, turn.speech));
    if (turn.reprompt) box.append(el('div', {class: 'reprompt'}, 'reprompt: ' + turn.reprompt));
    if (turn.card) {
      box.append(el('div', {class: 'card'}, `card: ${turn.card.title}` +
        (turn.card.text ? ` \u2014 ${turn.card.text}` : '')));
    }
    if (turn.directives.length) {
      box.append(el('div', {class: 'directives'}, 'directives: ' + turn.directives.map(
        (d) => d.type + (d.slotToElicit ? ` (${d.slotToElicit})` : '') +
          (d.slotToConfirm ? ` (${d.slotToConfirm})` : '')).join(', ')));
    }
    const move = el('div', {class: 'move'});
    if (turn.transition) {
      const t = turn.transition;
      move.append(`${turn.state_before || 'initial'} \u2192 `, el('b', {}, turn.state || ''),
        ` on ${t.trigger}` + (t.conditions.length ? ` [${t.conditions.join(', ')}]` : ''));
    } else if (turn.unmatched) {
      move.append(`no transition fired in ${turn.state_before || 'initial'}; state `,
        el('b', {}, turn.state || ''));
    } else if (turn.state) {
      move.append('state ', el('b', {}, turn.state));
    }
    if (turn.should_end) move.append(' (the skill ended the session)');
    box.append(move);
    if (turn.problems.length) {
      const list = el('ul', {class: 'problems'});
      for (const problem of turn.problems) {
        list.append(el('li', {}, `${problem.code}: ${problem.message}`));
      }
      box.append(list);
    }
    box.addEventListener('click', () => {
      selected = [entryIndex, turnIndex];
      renderRaw();
      markSelected();
    });
    box.dataset.entry = entryIndex;
    box.dataset.turn = turnIndex;
    return box;
  }

  function renderTranscript(data, scroll) {
    const list = $('transcript');
    list.replaceChildren();
    data.entries.forEach((entry, entryIndex) => {
      const item = el('li', {class: 'entry', 'data-kind': entry.kind});
      item.append(el('div', {class: 'user'}, el('span', {class: 'kind'}, entry.kind), entry.said));
      entry.turns.forEach((turn, turnIndex) => {
        item.append(renderTurn(turn, entryIndex, turnIndex));
        if (entry.kind === 'recording' && turnIndex === entry.turns.length - 1) {
          if (entry.differences && entry.differences.length) {
            item.append(el('div', {class: 'differences'},
              'differs from the recording:\n' + entry.differences.join('\n')));
          } else if (entry.differences) {
            item.append(el('div', {class: 'same'}, 'same answer as recorded'));
          }
        }
      });
      for (const note of entry.notes) {
        item.append(el('div', {class: 'note' + (note.startsWith('Alexa:') ? ' alexa' : '')}, note));
      }
      if (entry.error) item.append(el('div', {class: 'error-line'}, entry.error));
      list.append(item);
    });
    if (scroll) list.scrollTop = list.scrollHeight;
  }

  function markSelected() {
    for (const node of document.querySelectorAll('.turn.selected')) node.classList.remove('selected');
    if (!selected) return;
    const node = document.querySelector(
      `.turn[data-entry="${selected[0]}"][data-turn="${selected[1]}"]`);
    if (node) node.classList.add('selected');
  }

  function selectedTurn() {
    if (!snapshot) return null;
    if (selected) {
      const entry = snapshot.entries[selected[0]];
      if (entry && entry.turns[selected[1]]) return entry.turns[selected[1]];
    }
    for (let i = snapshot.entries.length - 1; i >= 0; i--) {
      const turns = snapshot.entries[i].turns;
      if (turns.length) return turns[turns.length - 1];
    }
    return null;
  }

  function renderRaw() {
    const turn = selectedTurn();
    $('raw-which').textContent = turn ? turn.said : '';
    $('raw-request').textContent = turn ? json(turn.request) : '';
    $('raw-response').textContent = turn ? json(turn.response) : '';
  }

  // -- the panels --------------------------------------------------------------------------

  function renderPanels(data) {
    $('skill').textContent = data.skill;
    $('session-status').textContent = data.in_session ? '(in a session)' : '(no session open)';
    $('current-state').textContent = data.state || '(none)';
    $('end-session').disabled = !data.in_session;
    $('session-attributes').textContent = json(data.session_attributes);
    const persistent = data.persistent;
    $('store-name').textContent = persistent.store ? `(store: ${persistent.store}` +
      (persistent.key ? `, key ${persistent.key})` : ')') : '(no store)';
    $('persistent-attributes').textContent = persistent.error ? persistent.error :
      persistent.attributes === null ? '' : json(persistent.attributes);
    const stack = $('dialog-stack');
    stack.replaceChildren();
    if (data.dialog_stack) {
      const frames = data.dialog_stack.stack || [];
      const list = el('ol', {});
      for (const frame of frames) list.append(el('li', {}, String(frame)));
      stack.append(frames.length ? list : el('div', {class: 'muted'}, 'empty stack'));
      stack.append(el('pre', {id: 'dialog-json'}, json(data.dialog_stack)));
    } else {
      stack.append(el('div', {class: 'muted'},
        'no dialog stack in the session attributes (the skill keeps none)'));
    }
    const waiting = data.waiting_for;
    $('waiting-for').textContent = !waiting ? '' : waiting.elicit ?
      `Alexa is asking for ${waiting.elicit} of ${waiting.intent}` :
      waiting.confirm_slot ? `Alexa is asking to confirm ${waiting.confirm_slot}` :
      waiting.confirm_intent ? `Alexa is asking to confirm ${waiting.intent}` :
      `dialog of ${waiting.intent} open`;
    const recording = data.recording;
    $('step-recording').hidden = !recording;
    $('step-recording').disabled = !recording || recording.position >= recording.total;
    $('recording-status').textContent = recording ?
      `${recording.name}: ${recording.position} of ${recording.total} replayed` : '';
  }

  // -- the machine -------------------------------------------------------------------------

  function graphNode(state) {
    return document.getElementById('state:' + state);
  }

  function renderGraph(data) {
    const svg = $('graph').querySelector('svg');
    if (!svg) return;
    for (const node of svg.querySelectorAll('.visited, .current, .last, .chosen')) {
      node.classList.remove('visited', 'current', 'last', 'chosen');
    }
    for (const state of data.visited_states) {
      const node = graphNode(state);
      if (node) node.classList.add('visited');
    }
    for (const edge of data.visited_edges) {
      const node = document.getElementById('edge:' + edge);
      if (node) node.classList.add('visited');
    }
    if (data.state) {
      const node = graphNode(data.state);
      if (node) node.classList.add('current');
    }
    if (data.last_edge !== null && data.last_edge !== undefined) {
      const node = document.getElementById('edge:' + data.last_edge);
      if (node) node.classList.add('last');
    }
    if (chosenState) {
      const node = graphNode(chosenState);
      if (node) node.classList.add('chosen');
    }
  }

  async function loadGraph() {
    try {
      const text = await call('GET', 'graph');
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const svg = document.importNode(doc.documentElement, true);
      for (const script of svg.querySelectorAll('script')) script.remove();
      $('graph').replaceChildren(svg);
      for (const node of svg.querySelectorAll('g.node')) {
        node.addEventListener('click', () => {
          const title = node.querySelector('title');
          if (title && node.id.startsWith('state:')) showState(title.textContent);
        });
      }
      if (snapshot) renderGraph(snapshot);
    } catch (error) {
      $('graph').replaceChildren(el('div', {class: 'error-line'}, error.message));
    }
  }

  function transitionRows(transitions, other) {
    const table = el('table', {});
    table.append(el('tr', {}, el('th', {}, 'on'), el('th', {}, other), el('th', {}, 'conditions'),
      el('th', {}, 'declared on')));
    for (const t of transitions) {
      const trigger = t.from_any_state && other === 'to' ? `${t.trigger} (from any state)` : t.trigger;
      table.append(el('tr', {}, el('td', {}, trigger),
        el('td', {}, other === 'to' ? t.dest : (t.from_any_state ? '* (any state)' : t.source)),
        el('td', {}, t.conditions.join(', ')), el('td', {}, t.declared_on)));
    }
    return transitions.length ? table : el('div', {class: 'muted'}, 'none');
  }

  async function showState(state) {
    try {
      const details = await call('GET', 'states/' + encodeURIComponent(state));
      chosenState = state;
      const box = $('state-details');
      box.replaceChildren(el('h3', {}, `State ${details.state}`));
      const responder = details.responder;
      if (responder) {
        box.append(el('div', {class: 'responder'}, `responder: ${responder.name}` +
          (responder.where ? ` at ${responder.where}` : '')));
        if (responder.doc) box.append(el('div', {class: 'muted'}, responder.doc));
        if (responder.source) box.append(el('pre', {}, responder.source));
      } else {
        box.append(el('div', {class: 'muted'}, 'no responder method on the States class'));
      }
      box.append(el('h3', {}, 'Transitions out'), transitionRows(details.out, 'to'));
      box.append(el('h3', {}, 'Transitions in'), transitionRows(details.in, 'from'));
      box.hidden = false;
      box.dataset.state = details.state;
      if (snapshot) renderGraph(snapshot);
    } catch (error) {
      showError(error.message);
    }
  }

  // -- the controls ------------------------------------------------------------------------

  function render(data, scroll) {
    snapshot = data;
    selected = null;
    renderTranscript(data, scroll);
    renderPanels(data);
    renderRaw();
    renderGraph(data);
  }

  function fillSelect(select, values) {
    select.replaceChildren(...values.map((value) => el('option', {value}, value || '(default)')));
  }

  function renderSlots() {
    const intent = model.intents.find((i) => i.name === $('intent').value);
    const box = $('slots');
    box.replaceChildren();
    for (const slot of (intent ? intent.slots : [])) {
      const listId = 'values-' + slot.name;
      const input = el('input', {type: 'text', name: slot.name, 'data-slot': slot.name});
      input.setAttribute('list', listId);
      const list = el('datalist', {id: listId});
      for (const value of slot.values) list.append(el('option', {value}));
      box.append(el('label', {}, `${slot.name} `, input, list));
    }
  }

  async function loadModel() {
    try {
      model = await call('GET', 'model');
    } catch (error) {
      showError(error.message);
      return;
    }
    fillSelect($('intent'), model.intents.map((i) => i.name));
    fillSelect($('dialog-state'), [''].concat(model.dialog_states));
    fillSelect($('confirmation'), model.confirmation_statuses);
    fillSelect($('end-reason'), model.end_reasons);
    renderSlots();
  }

  function say(oneShot) {
    const input = $('utterance');
    const text = input.value;
    if (!text.trim()) return;
    act('POST', 'say', {text, one_shot: oneShot}).then((data) => {
      if (data) input.value = '';
    });
  }

  function sendIntent(oneShot) {
    const slots = {};
    for (const input of $('slots').querySelectorAll('input')) {
      if (input.value.trim()) slots[input.dataset.slot] = input.value.trim();
    }
    act('POST', 'say', {intent: $('intent').value, slots, one_shot: oneShot,
      dialog_state: $('dialog-state').value || null,
      confirmation_status: $('confirmation').value || 'NONE'});
  }

  async function writeStory() {
    const path = $('story-path').value.trim();
    try {
      const story = await call('POST', 'story', {name: $('story-name').value,
        path: path || null, overwrite: $('story-overwrite').checked});
      showError(null);
      $('story-result').textContent = story.path ?
        `Wrote ${story.path} (${story.turns} turns): alexafsm stories ${snapshot.skill} ${story.path}` :
        `${story.turns} turns; give a file to write it`;
      $('story-yaml').textContent = story.yaml;
    } catch (error) {
      showError(error.message);
    }
  }

  function loadRecording(file) {
    const reader = new FileReader();
    reader.onload = () => act('POST', 'recording', {name: file.name, text: reader.result});
    reader.readAsText(file);
  }

  function wire() {
    $('say-form').addEventListener('submit', (event) => { event.preventDefault(); say(false); });
    $('say-one-shot').addEventListener('click', () => say(true));
    $('intent-form').addEventListener('submit', (event) => { event.preventDefault(); sendIntent(false); });
    $('send-intent-one-shot').addEventListener('click', () => sendIntent(true));
    $('intent').addEventListener('change', renderSlots);
    $('new-session').addEventListener('click', () => act('POST', 'launch', {}));
    $('end-session').addEventListener('click', () => act('POST', 'end', {reason: $('end-reason').value}));
    $('reset').addEventListener('click', () => {
      chosenState = null;
      $('state-details').hidden = true;
      act('POST', 'reset', {});
    });
    $('save-story').addEventListener('click', () => {
      $('story-box').hidden = !$('story-box').hidden;
    });
    $('story-form').addEventListener('submit', (event) => { event.preventDefault(); writeStory(); });
    $('recording-file').addEventListener('change', (event) => {
      const file = event.target.files[0];
      if (file) loadRecording(file);
      event.target.value = '';
    });
    $('step-recording').addEventListener('click', () => act('POST', 'recording/step', {}));
  }

  async function start() {
    wire();
    await loadModel();
    const data = await act('GET', 'state');
    if (data) render(data, true);
    await loadGraph();
    document.body.dataset.ready = 'true';
  }

  document.addEventListener('DOMContentLoaded', start);
}());
