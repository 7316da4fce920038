/**
 * One device drawn as what it is: an OTP token as a key fob (LCD digits, the button, a ring
 * counting down the TOTP step, its serial and battery), a FIDO key with a touch pad that
 * lights while presence is requested and a fingerprint control for user verification, a
 * composite key with both. Its state comes from the API; between updates the ring and the
 * LCD's timeout run on the device's own time, extrapolated from the last state.
 */
import type { DeviceState } from '../../src/rig/rig-state.js';

export interface CardActions {
  press(id: string): void;
  answer(id: string, what: 'touch' | 'uv', action: 'approve' | 'deny'): void;
  modes(id: string, modes: { touch?: string; uv?: string }): void;
  clock(id: string, body: { advance?: number; drift?: number }): void;
  reveal(id: string): void;
  credentials(id: string): void;
}

const SVG = 'http://www.w3.org/2000/svg';
const RING = 2 * Math.PI * 22;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(className: string, text: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', className, text);
  b.type = 'button';
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

function select(label: string, values: readonly string[], onChange: (v: string) => void): HTMLSelectElement {
  const s = el('select', 'mode-select');
  s.setAttribute('aria-label', label);
  for (const v of values) s.append(new Option(v, v));
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

const FINGERPRINT =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" d="M6.5 5.5A8 8 0 0 1 20 11.5M4 9.5a8 8 0 0 0-.2 5M8 20a14 14 0 0 1-1.5-7A5.5 5.5 0 0 1 17.5 12c0 1 0 2-.2 3M12 12.5c0 3.5-.7 6.3-2 8.5M15 16.5a20 20 0 0 1-1.3 4.5M9.5 12.5a2.5 2.5 0 0 1 5 0"/></svg>';

export class DeviceCard {
  readonly element: HTMLElement;
  state: DeviceState;
  #receivedAt = performance.now();
  #running = false;
  readonly #actions: CardActions;
  // OTP parts
  #lcd?: HTMLElement;
  #ring?: SVGCircleElement;
  #ringText?: SVGTextElement;
  #battery?: HTMLElement;
  #pressButton?: HTMLButtonElement;
  // FIDO parts
  #pad?: HTMLButtonElement;
  #finger?: HTMLButtonElement;
  #touchMode?: HTMLSelectElement;
  #uvMode?: HTMLSelectElement;
  #creds?: HTMLButtonElement;
  #clockLine: HTMLElement;

  constructor(state: DeviceState, actions: CardActions) {
    this.state = state;
    this.#actions = actions;
    const card = el('article', `device device-${state.kind}`);
    card.dataset.device = state.id;
    card.setAttribute('aria-label', `${state.kind === 'otp' ? 'OTP token' : state.kind === 'fido' ? 'FIDO key' : 'composite key'} ${state.serial}`);
    this.element = card;

    const head = el('header', 'device-head');
    head.append(el('span', 'serial', state.serial), el('span', 'model', state.model));
    card.append(head);
    const body = el('div', 'device-body');
    card.append(body);
    if (state.otp !== undefined) body.append(this.#buildOtp(state));
    if (state.fido !== undefined) body.append(this.#buildFido(state));

    const foot = el('footer', 'device-foot');
    this.#clockLine = el('span', 'device-clock');
    const clock = el('span', 'device-clock-controls');
    clock.append(
      button('small', '−30s', `${state.id}: its clock 30 s back`, () => actions.clock(state.id, { advance: -30 })),
      button('small', '+30s', `${state.id}: its clock 30 s on`, () => actions.clock(state.id, { advance: 30 })),
      button('small', 'drift', `${state.id}: set its drift`, () => {
        const ppm = prompt(`${state.id}: drift in ppm (now ${this.state.clock.drift_ppm})`, String(this.state.clock.drift_ppm));
        if (ppm !== null && ppm.trim() !== '' && Number.isFinite(Number(ppm))) actions.clock(state.id, { drift: Number(ppm) });
      }),
    );
    foot.append(this.#clockLine, clock);
    card.append(foot);
    this.update(state);
  }

  #buildOtp(state: DeviceState): HTMLElement {
    const fob = el('div', 'fob');
    const lcd = el('output', 'lcd blank');
    lcd.setAttribute('aria-label', `${state.serial} display`);
    this.#lcd = lcd;
    const row = el('div', 'fob-row');
    const ring = document.createElementNS(SVG, 'svg');
    ring.setAttribute('viewBox', '0 0 50 50');
    ring.setAttribute('class', 'ring');
    ring.setAttribute('aria-hidden', 'true');
    const track = document.createElementNS(SVG, 'circle');
    track.setAttribute('class', 'ring-track');
    const arc = document.createElementNS(SVG, 'circle');
    arc.setAttribute('class', 'ring-arc');
    for (const c of [track, arc]) {
      c.setAttribute('cx', '25');
      c.setAttribute('cy', '25');
      c.setAttribute('r', '22');
    }
    arc.style.strokeDasharray = String(RING);
    const text = document.createElementNS(SVG, 'text');
    text.setAttribute('x', '25');
    text.setAttribute('y', '29');
    text.setAttribute('class', 'ring-text');
    ring.append(track, arc, text);
    this.#ring = arc;
    this.#ringText = text;
    this.#pressButton = button('press', '', `press ${state.serial}`, () => this.#actions.press(state.id));
    this.#battery = el('span', 'battery');
    const reveal = button('small reveal', 'seed…', `${state.id}: reveal its seed`, () => this.#actions.reveal(state.id));
    row.append(ring, this.#pressButton, this.#battery);
    fob.append(lcd, row, reveal);
    return fob;
  }

  #buildFido(state: DeviceState): HTMLElement {
    const key = el('div', 'key');
    const pad = button('touch-pad', '', `${state.id}: touch`, () => this.#actions.answer(state.id, 'touch', 'approve'));
    this.#pad = pad;
    const controls = el('div', 'key-controls');
    this.#touchMode = select(`${state.id}: touch mode`, ['auto', 'manual', 'deny'], (v) => this.#actions.modes(state.id, { touch: v }));
    const touchRow = el('div', 'key-row');
    touchRow.append(el('span', 'key-label', 'touch'), this.#touchMode, button('small deny', 'deny', `${state.id}: deny the touch`, () => this.#actions.answer(state.id, 'touch', 'deny')));
    controls.append(touchRow);
    if (state.fido!.uv.mode !== 'none') {
      const finger = button('finger', '', `${state.id}: fingerprint`, () => this.#actions.answer(state.id, 'uv', 'approve'));
      finger.innerHTML = FINGERPRINT;
      this.#finger = finger;
      this.#uvMode = select(`${state.id}: fingerprint mode`, ['auto', 'manual', 'deny'], (v) => this.#actions.modes(state.id, { uv: v }));
      const uvRow = el('div', 'key-row');
      uvRow.append(finger, this.#uvMode, button('small deny', 'deny', `${state.id}: a finger that does not match`, () => this.#actions.answer(state.id, 'uv', 'deny')));
      controls.append(uvRow);
    }
    this.#creds = button('small creds', '', `${state.id}: its credentials`, () => this.#actions.credentials(state.id));
    controls.append(this.#creds);
    key.append(pad, controls);
    return key;
  }

  /** A new state from the API; `running` says whether the device's clock moves by itself. */
  update(state: DeviceState, running = this.#running): void {
    this.state = state;
    this.#running = running && state.clock.source === 'rig';
    this.#receivedAt = performance.now();
    const fido = state.fido;
    if (fido !== undefined) {
      this.#pad!.classList.toggle('waiting', fido.touch.pending > 0);
      this.#pad!.setAttribute('aria-pressed', String(fido.touch.pending > 0));
      this.#touchMode!.value = fido.touch.mode;
      if (this.#finger !== undefined) {
        this.#finger.classList.toggle('waiting', fido.uv.pending > 0);
        this.#uvMode!.value = fido.uv.mode;
      }
      this.#creds!.textContent = `${fido.credentials} credential${fido.credentials === 1 ? '' : 's'}`;
    }
    const otp = state.otp;
    if (otp !== undefined) {
      this.#battery!.className = `battery battery-${otp.battery}`;
      this.#battery!.title = `battery ${otp.battery}${otp.fault === 'end-of-life' ? ' (end of life)' : ''}`;
      this.#pressButton!.disabled = otp.battery === 'dead';
    }
    this.tick(performance.now());
  }

  /** Redraw what time moves: the LCD's timeout, the step ring, the clock line. */
  tick(now: number): void {
    const s = this.state;
    const elapsed = this.#running ? (now - this.#receivedAt) * (1 + s.clock.drift_ppm / 1e6) : 0;
    const t = s.clock.time_ms + elapsed;
    const otp = s.otp;
    if (otp !== undefined) {
      const shown = otp.display !== null && otp.display_remaining_ms - elapsed > 0 && otp.battery !== 'dead';
      const text = shown ? otp.display! : '';
      if (this.#lcd!.textContent !== text) {
        this.#lcd!.textContent = text;
        this.#lcd!.classList.toggle('blank', !shown);
      }
      const seconds = Math.floor(t / 1000);
      const left = otp.type === 'totp' ? otp.period - (((seconds % otp.period) + otp.period) % otp.period) : -1;
      const ring = otp.type === 'totp' ? String(left) : `#${otp.counter}`;
      // Touch the DOM only when the ring changes: a page of 1,000 tokens ticks four times a second.
      if (this.#ringText!.textContent !== ring) {
        this.#ring!.style.strokeDashoffset = String(otp.type === 'totp' ? RING * (1 - left / otp.period) : 0);
        this.#ringText!.textContent = ring;
      }
    }
    const offset = s.clock.offset_ms === 0 ? '' : ` ${s.clock.offset_ms > 0 ? '+' : '−'}${Math.abs(Math.round(s.clock.offset_ms / 1000))}s`;
    const drift = s.clock.drift_ppm === 0 ? '' : ` ${s.clock.drift_ppm > 0 ? '+' : ''}${s.clock.drift_ppm}ppm`;
    const line = `${new Date(t).toISOString().slice(11, 19)}${s.clock.source === 'manual' ? ' (own)' : ''}${offset}${drift}`;
    if (this.#clockLine.textContent !== line) this.#clockLine.textContent = line;
  }
}
