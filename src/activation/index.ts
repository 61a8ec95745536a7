/** Activation: outbox -> enrich -> Segment event -> mapping -> destination action (DESIGN §2). */
export { deliverAll, type DeliverOptions, type DeliverySummary, type EmitterDelivery, type DeliveryProgress } from './delivery.js';
export { replayDeadLetters, type ReplayResult } from './replay.js';
export { previewEvents, testEvent, type EventsPreview, type TestEventResult } from './preview.js';
export { listDeadLetters, findDeliveries, readDeliveryRuns } from './inspect.js';
export { readActivationModel, modelFromDesired } from './emitter-context.js';
export { messageIdOf, DEFAULT_EVENT_NAMES, MAX_EVENT_BYTES, type SegmentEvent } from './events.js';
export { ttyProgress } from './progress.js';
