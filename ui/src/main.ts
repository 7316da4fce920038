/**
 * The rig dashboard: a page of devices (searched, filtered, paged so thousands stay fast),
 * kept live by the API's event stream, with per-device and rig-wide clock controls and the
 * seed export behind an explicit reveal.
 */
import './styles.css';
import { ApiError, RigApi } from './api';
import { type CardActions, DeviceCard } from './device-card';
import type { RigInfo, RigStreamEvent } from '../../src/rig/rig-state.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const grid = $('devices');
const statusLine = $('status');
const range = $('range');
const search = $<HTMLInputElement>('search');
const kind = $<HTMLSelectElement>('kind');
const pageSize = $<HTMLSelectElement>('page-size');
const rigTime = $('rig-time');
const rigMode = $('rig-mode');
const dialog = $<HTMLDialogElement>('dialog');
const dialogBody = $('dialog-body');

const cards = new Map<string, DeviceCard>();
let offset = 0;
let total = 0;
let rigClock: { time_ms: number; manual: boolean; at: number } = { time_ms: Date.now(), manual: false, at: performance.now() };

function say(text: string, error = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', error);
}

const api = RigApi.fromLocation();

async function guarded(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (e) {
    say(e instanceof Error ? e.message : String(e), true);
  }
}

function show(title: string, content: Node[]): void {
  dialogBody.replaceChildren(Object.assign(document.createElement('h2'), { textContent: title }), ...content);
  dialog.showModal();
}

function text(tag: string, value: string, className = ''): HTMLElement {
  return Object.assign(document.createElement(tag), { textContent: value, className });
}

const actions: CardActions = {
  press: (id) => void guarded(() => api!.call('POST', `/devices/${encodeURIComponent(id)}/press`)),
  answer: (id, what, action) => void guarded(() => api!.call('POST', `/devices/${encodeURIComponent(id)}/${what}`, { action })),
  modes: (id, modes) => void guarded(() => api!.call('PUT', `/devices/${encodeURIComponent(id)}/modes`, modes)),
  clock: (id, body) => void guarded(() => api!.call('POST', `/devices/${encodeURIComponent(id)}/clock`, body)),
  reveal: (id) => {
    const go = text('button', `reveal the seed of ${id}`, 'danger');
    go.addEventListener('click', () =>
      void guarded(async () => {
        const seed = await api!.call<{ secret: string; uri: string; qr_png: string }>('POST', `/devices/${encodeURIComponent(id)}/seed`, { reveal: true, qr: true });
        const img = Object.assign(document.createElement('img'), { src: seed.qr_png, alt: `QR code of ${id}'s otpauth URI`, className: 'qr' });
        show(`seed of ${id}`, [img, text('code', seed.secret, 'secret'), text('code', seed.uri, 'uri')]);
      }),
    );
    show(`seed of ${id}`, [text('p', 'The seed is the token: anyone who sees it can make its codes. Reveal it only where nobody else looks.'), go]);
  },
  credentials: (id) =>
    void guarded(async () => {
      const { credentials } = await api!.call<{ credentials: { rp_id: string; user_name?: string; created: string; id: string }[] }>('GET', `/devices/${encodeURIComponent(id)}/credentials`);
      const list = document.createElement('ul');
      for (const c of credentials) list.append(text('li', `${c.rp_id} — ${c.user_name ?? '(no name)'} — ${c.created.slice(0, 19)}Z`));
      show(`credentials on ${id}`, credentials.length === 0 ? [text('p', 'no discoverable credentials')] : [list]);
    }),
};

function running(): boolean {
  return !rigClock.manual;
}

async function loadPage(): Promise<void> {
  const limit = Number(pageSize.value);
  const page = await api!.devices({ q: search.value.trim(), kind: kind.value, offset, limit });
  total = page.total;
  if (offset >= total && total > 0) {
    offset = Math.max(0, Math.floor((total - 1) / limit) * limit);
    return loadPage();
  }
  const keep = new Set(page.devices.map((d) => d.id));
  for (const [id, card] of cards) {
    if (!keep.has(id)) {
      card.element.remove();
      cards.delete(id);
    }
  }
  const ordered: HTMLElement[] = [];
  for (const state of page.devices) {
    let card = cards.get(state.id);
    if (card === undefined) {
      card = new DeviceCard(state, actions);
      cards.set(state.id, card);
    }
    card.update(state, running());
    ordered.push(card.element);
  }
  grid.replaceChildren(...ordered);
  range.textContent = total === 0 ? 'no devices' : `${offset + 1}–${Math.min(offset + limit, total)} of ${total.toLocaleString('en')}`;
  $<HTMLButtonElement>('prev').disabled = offset === 0;
  $<HTMLButtonElement>('next').disabled = offset + limit >= total;
}

let reload: ReturnType<typeof setTimeout> | undefined;
/** Reload the page soon, once for a burst of changes (devices added, clocks set). */
function reloadSoon(ms = 50): void {
  if (reload !== undefined) return;
  reload = setTimeout(() => {
    reload = undefined;
    void guarded(loadPage);
  }, ms);
}

function setRigClock(info: { time_ms: number; manual: boolean }): void {
  rigClock = { ...info, at: performance.now() };
  rigMode.textContent = info.manual ? 'manual' : 'running';
}

function onEvent(e: RigStreamEvent): void {
  if (e.event === 'clock_set') {
    setRigClock({ time_ms: e.time_ms!, manual: rigClock.manual });
    reloadSoon();
    return;
  }
  if (e.event === 'device_added' || e.event === 'device_removed') {
    reloadSoon(200);
    return;
  }
  if (e.device !== undefined && e.state !== undefined) cards.get(e.device)?.update(e.state, running());
}

function tick(): void {
  const now = performance.now();
  const t = rigClock.time_ms + (rigClock.manual ? 0 : now - rigClock.at);
  rigTime.textContent = new Date(t).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  for (const card of cards.values()) card.tick(now);
}

async function start(): Promise<void> {
  if (api === undefined) {
    say('open the dashboard with the ui URL of the rig\'s ready line (it carries the token)', true);
    return;
  }
  const info: RigInfo = await api.rig();
  setRigClock(info.clock);
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      offset = 0;
      void guarded(loadPage);
    }, 150);
  });
  for (const s of [kind, pageSize]) s.addEventListener('change', () => ((offset = 0), void guarded(loadPage)));
  $('prev').addEventListener('click', () => ((offset = Math.max(0, offset - Number(pageSize.value))), void guarded(loadPage)));
  $('next').addEventListener('click', () => ((offset += Number(pageSize.value)), void guarded(loadPage)));
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-advance]')) {
    b.addEventListener('click', () => void guarded(() => api.call('POST', '/clock', { advance: Number(b.dataset.advance) })));
  }
  $('set-time-go').addEventListener('click', () => {
    const v = $<HTMLInputElement>('set-time').value;
    if (v !== '') void guarded(() => api.call('POST', '/clock', { set: `${v.length === 16 ? `${v}:00` : v}Z` }));
  });
  const events = new AbortController();
  void api
    .events(onEvent, () => {
      document.body.dataset.live = 'true';
      reloadSoon(0);
    }, events.signal)
    .catch((e: unknown) => say(e instanceof ApiError && e.status === 401 ? 'the token was refused: open the ui URL of the rig\'s ready line again' : String(e), true));
  await loadPage();
  setInterval(tick, 250);
  tick();
  say('');
}

void guarded(start);
