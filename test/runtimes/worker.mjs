// workerd: bundled with the "workerd" export condition (as wrangler does). The trainer
// lives in the isolate between requests, so the host can time each phase.
import * as lib from 'grapheme-train';
import { finish, start, steps } from './probe.mjs';

let trainer = null;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/start') {
      const started = await start(lib);
      trainer = started.trainer;
      return Response.json({ backend: started.backend, predicted: started.predicted });
    }
    if (url.pathname === '/steps') return Response.json(steps(trainer, Number(url.searchParams.get('count'))));
    if (url.pathname === '/finish') return Response.json(finish(trainer));
    return new Response('unknown phase', { status: 404 });
  },
};
