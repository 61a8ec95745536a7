/**
 * Every character a terminal acts on, tab and newline aside: the C0 controls, DEL, the C1
 * controls, the bidirectional embeddings, overrides and isolates. Written out here rather than
 * taken from src/model/printable.ts, so a test checks the code against the list, not against itself.
 */
export const STEERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
