/**
 * The authenticatorGetInfo response being built (CTAP 2.1 §6.4): the members the profile
 * states, then whatever each command family and extension adds from its live state. An
 * option is only ever reported when the profile has it: a feature can say what its option's
 * value is now (clientPin: a PIN is set), never invent one the key does not have.
 */
import type { OptionId } from '../../src/protocol/ctap2-parameters.js';

export class InfoDraft {
  /** getInfo members by key (GET_INFO in src/protocol/ctap2-parameters.ts). */
  readonly members: Map<number, unknown>;
  readonly #options: Map<string, boolean>;

  constructor(profileOptions: Readonly<Partial<Record<OptionId, boolean>>>, stated: ReadonlyMap<number, unknown> = new Map()) {
    this.members = new Map(stated);
    this.#options = new Map(Object.entries(profileOptions) as [string, boolean][]);
  }

  /** Set a member (overrides what the profile stated). */
  member(key: number, value: unknown): void {
    this.members.set(key, value);
  }

  /** The live value of an option the profile has; ignored when the profile lacks it. */
  option(id: OptionId, value: boolean): void {
    if (this.#options.has(id)) this.#options.set(id, value);
  }

  /** The options map as getInfo reports it. */
  get options(): Map<string, boolean> {
    return this.#options;
  }
}
