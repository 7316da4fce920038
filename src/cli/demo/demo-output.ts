/** Where the demo's stories write: human lines, or JSON events with --json. */
import { type CliIo, printEvent, printLine } from '../cli-io.js';

export interface DemoOutput {
  /** A line for a person. */
  line(s: string): void;
  /** A structured event (printed as one JSON line with --json, snake_case, with a timestamp). */
  event(e: { event: string; [field: string]: unknown }): void;
}

export function demoOutput(io: CliIo, json: boolean): DemoOutput {
  return {
    line: (s) => {
      if (!json) printLine(io, s);
    },
    event: (e) => {
      if (json) printEvent(io, e);
    },
  };
}
