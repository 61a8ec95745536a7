import { describe, expect, it } from 'vitest';
import { renderDeadLetter } from '../../src/cli/commands/dead-letters.js';
import type { DeadLetterRow } from '../../src/activation/inspect.js';

const letter = (over: Partial<DeadLetterRow>): DeadLetterRow => ({
  id: 7,
  emitterKey: 'entered-hook',
  destinationKey: 'hook',
  runId: 'run-1',
  messageId: 'm1',
  userId: 'u1',
  eventName: 'Audience Entered',
  reasonCode: 'DESTINATION_REJECTED',
  reason: 'HTTP 400',
  httpStatus: 400,
  responseBody: null,
  createdAt: '2026-12-08T00:00:00Z',
  replayCount: 0,
  replayedAt: null,
  ...over,
});

describe('linked dead-letters, a line per dead letter', () => {
  it('says the status once: a refusal with no message of its own adds no line repeating it', () => {
    expect(renderDeadLetter(letter({}))).toBe('#7 2026-12-08T00:00:00Z entered-hook -> hook user u1 "Audience Entered" [HTTP 400]\n');
    expect(renderDeadLetter(letter({ responseBody: '{"error":"bad"}' }))).toBe(
      '#7 2026-12-08T00:00:00Z entered-hook -> hook user u1 "Audience Entered" [HTTP 400]\n    response: {"error":"bad"}\n',
    );
  });

  it('keeps a reason that says more than the status, and the replays', () => {
    expect(renderDeadLetter(letter({ reason: 'email: invalid', responseBody: '{"errors":1}', replayCount: 2 }))).toBe(
      '#7 2026-12-08T00:00:00Z entered-hook -> hook user u1 "Audience Entered" [HTTP 400, 2 replay(s) refused]\n    email: invalid\n    response: {"errors":1}\n',
    );
    expect(renderDeadLetter(letter({ httpStatus: null, reasonCode: 'EVENT_TOO_LARGE', reason: 'The event is 40,000 bytes, over 32 KB.' }))).toBe(
      '#7 2026-12-08T00:00:00Z entered-hook -> hook user u1 "Audience Entered" [EVENT_TOO_LARGE]\n    The event is 40,000 bytes, over 32 KB.\n',
    );
  });
});
