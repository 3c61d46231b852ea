/**
 * The web UI's one script, served by the process at a hashed path like the stylesheet: it follows
 * a webspace's build on its page through the build's server-sent events (build-events.ts says
 * what they are), appending each line as text, never as markup, and saying the build's state in
 * the words build-log.ts uses. Without it (or without EventSource) the page shows the lines the
 * server rendered. The stream replays the build from its start, so the log is cleared on `build`;
 * it follows the page's webspace (`follow`), so a push made while the page is open shows its
 * build there, with its branch, commit and start, without a reload.
 */
import type { Asset } from './page.js'

const SCRIPT = `'use strict';
(function () {
  var log = document.getElementById('build-log');
  var state = document.getElementById('build-state');
  var about = document.getElementById('build-of');
  if (!log || !state || !about || !window.EventSource || !log.dataset.events) return;
  var last = 0;
  var events = new EventSource(log.dataset.events);
  var data = function (event) { return JSON.parse(event.data); };
  var element = function (name, text) {
    var node = document.createElement(name);
    node.textContent = text;
    return node;
  };
  var say = function (text, kind) {
    var word = element('span', text);
    word.className = 'word ' + kind;
    state.replaceChildren(word);
  };
  var add = function (text) {
    var follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(text + '\\n');
    if (follow) log.scrollTop = log.scrollHeight;
  };
  events.addEventListener('build', function (event) {
    var build = data(event);
    var started = new Date(build.startedAt).toISOString();
    var time = element('time', started.slice(0, 16).replace('T', ' ') + ' UTC');
    time.dateTime = started;
    var commit = build.commit.slice(0, 12);
    about.replaceChildren('of ', element('code', build.branch), ' at ', element('code', commit), ', started ', time);
    log.textContent = '';
    last = 0;
    say('building', 'pending');
  });
  events.addEventListener('line', function (event) {
    var line = data(event);
    if (line.n <= last) return;
    last = line.n;
    add(line.text);
  });
  events.addEventListener('skipped', function (event) {
    add('… ' + data(event).lines + ' earlier lines not kept …');
  });
  events.addEventListener('end', function (event) {
    var end = data(event);
    if (end.phase === 'Succeeded') say(end.release ? 'succeeded: release ' + end.release : 'succeeded', 'ok');
    else say('failed', 'problem');
  });
})();
`

export const BUILD_LOG_SCRIPT: Asset = { name: 'build-log', type: 'js', content: SCRIPT }
