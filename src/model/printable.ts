/*
 * Text that came from outside (a destination's answer) is printed to terminals and CI logs as it
 * is stored. A control character in it is an instruction to the terminal, not text: ESC starts a
 * sequence that can move the cursor up and erase the lines above (hiding what was printed before),
 * retitle the window or write the clipboard; a lone CR rewrites its line; bidirectional overrides
 * reorder what the reader sees. Each is kept visible as its escape instead, so nothing is lost.
 */

/** C0 controls but tab and newline, a CR not ending a line, DEL, C1 controls and the bidirectional embeddings, overrides and isolates. */
const CONTROL = /[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

/** `text` with every character that would steer a terminal written as its `\uXXXX` escape. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `value` as JSON text (`JSON.stringify(value, null, space)`) for a terminal: JSON escapes the C0
 * controls but leaves DEL, the C1 controls and the bidirectional controls as they are, and a
 * terminal acts on them. They can only stand inside strings, where `\uXXXX` is their JSON escape:
 * the text stays valid JSON and parses to the same value. The one writer of every `--json` output.
 */
export function printableJson(value: unknown, space?: number): string {
  return printable(JSON.stringify(value, null, space));
}
