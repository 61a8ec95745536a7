import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEvent } from '../../src/activation/build-event.js';
import { planEnrichment } from '../../src/activation/enrich/plan.js';
import { Audience } from '../../src/model/audience.js';
import { EventEmitter } from '../../src/model/emitter.js';
import { DataGraph } from '../../src/model/graph.js';
import { startSink } from '../http-sink.js';
const N = 200000, BATCH = 1000, CONC = Number(process.argv[2] ?? 4);
const graph = DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan'], identifiers: ['user_id'] } });
const audience = Audience.parse({ key: 'bench', name: 'Bench', condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } });
const emitter = EventEmitter.parse({ key: 'bench-entered', audience: 'bench', destination: 'sink', trigger: 'audience_entered', enrich: { traits: ['email', 'plan'] } });
const plan = planEnrichment(graph, audience, emitter);
const ctx = { emitter, plan, namespace: 'bench', backfillEpoch: '' };
function bodies(): string[] { const out=[]; for (let from=0; from<N; from+=BATCH){ const data:any={traits:new Map(),chains:new Map(),others:new Map()}; const ev=[]; for(let i=from;i<from+BATCH;i++){const id=`u${i+1}`; data.traits.set(id,{email:`${id}@example.com`,plan:'premium'}); ev.push(buildEvent(ctx as any,{source:'outbox',id:i+1,audienceKey:'bench',kind:'entered',profileId:id,entityPath:null,entityId:null,createdAt:new Date().toISOString()},data));} out.push(JSON.stringify(ev)); } return out; }
let t = performance.now(); const bs = bodies(); console.log('build+stringify', N/((performance.now()-t)/1000), 'ev/s; body bytes', bs[0].length);
const sink = await startSink(mkdtempSync(join(tmpdir(), 'scr-')));
const target = new URL(sink.url + '/hook');
const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
const post = (body: string) => new Promise<void>((resolve, reject) => { const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', resolve); }); req.on('error', reject); req.end(body); });
for (let r=0;r<2;r++){ t = performance.now(); let next=0; await Promise.all(Array.from({length:CONC}, async()=>{ while(next<bs.length){ const b=bs[next++]; await post(b);} })); console.log('post only', CONC, N/((performance.now()-t)/1000), 'ev/s'); }
agent.destroy(); sink.stop();
