// A job's Server-Sent Events read with fetch(), so that the bearer token goes in the Authorization header
// (EventSource cannot send one, and a token in the URL would end up in logs). Reconnects like EventSource does:
// after the server's retry delay, with Last-Event-ID, until the job's stream ends (204) or the caller aborts.

import { headers, ApiError } from './api.js';

/**
 * Follows /v1/jobs/{id}/events after event number `after` (0: from the start): onEvent({type, id, data}) for each
 * event, onState('live' | 'reconnecting' | 'ended' | 'failed', error?) as the connection changes. Returns when the
 * stream ended or signal was aborted.
 */
export async function followJobEvents(jobId, { after = 0, onEvent, onState, signal }) {
  let lastId = after > 0 ? String(after) : null;
  let retryMs = 3000;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const h = headers({ Accept: 'text/event-stream' });
      if (lastId !== null) {
        h['Last-Event-ID'] = lastId;
      }
      const response = await fetch(`/v1/jobs/${encodeURIComponent(jobId)}/events`, { headers: h, signal, cache: 'no-store' });
      if (response.status === 204) {
        onState('ended');
        return;
      }
      if (!response.ok) {
        let problem = null;
        try { problem = await response.json(); } catch { /* not JSON */ }
        const error = new ApiError(response.status, problem);
        if (response.status !== 429 && response.status !== 503) {
          onState('failed', error);
          return;
        }
        throw error;
      }
      onState('live');
      failures = 0;
      const ended = await readEvents(response.body, (event) => {
        if (event.retry !== undefined) {
          retryMs = event.retry;
          return;
        }
        if (event.id !== undefined) {
          lastId = event.id;
        }
        if (event.data !== undefined) {
          onEvent(event);
        }
      });
      if (ended && signal.aborted) {
        return;
      }
    } catch (error) {
      if (signal.aborted) {
        return;
      }
      failures++;
      onState('reconnecting', error);
    }
    // The server closes the stream after the job's final event; the reconnect then gets 204 and stops.
    await pause(Math.min(retryMs * Math.max(1, failures), 30_000), signal);
  }
}

/** Parses text/event-stream from a body stream (the WHATWG rules: fields per line, a blank line ends an event). */
async function readEvents(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = {};
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return true;
    }
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length) {
          event.data = data.join('\n');
        }
        if (event.data !== undefined || event.retry !== undefined || event.id !== undefined) {
          dispatch({ type: event.type || 'message', ...event });
        }
        event = {};
        data = [];
        continue;
      }
      if (line.startsWith(':')) {
        continue; // a comment (the heartbeat)
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'data') {
        data.push(value);
      } else if (field === 'event') {
        event.type = value;
      } else if (field === 'id') {
        event.id = value;
      } else if (field === 'retry' && /^\d+$/.test(value)) {
        event.retry = Number(value);
      }
    }
  }
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
