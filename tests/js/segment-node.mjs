// segment-node.mjs HOST WRITE_KEY TAG - the real @segment/analytics-node
// sends a track, an identify and a page call to HOST (Sluice), as a
// server would: one POST /v1/batch with Authorization: Basic. Exits 1 if
// the library reports an error.
import { Analytics } from '@segment/analytics-node';

const [host, writeKey, tag] = process.argv.slice(2);
const analytics = new Analytics({ writeKey, host, maxRetries: 0, flushInterval: 100 });

analytics.on('error', (err) => {
  console.error('analytics-node error:', err && (err.reason || err.message || err));
  process.exitCode = 1;
});
analytics.track({ userId: 'node-user', event: `${tag}-track`, messageId: `${tag}-m1`,
  properties: { revenue: 39.9 } });
analytics.identify({ userId: 'node-user', traits: { plan: 'pro' }, messageId: `${tag}-m2` });
analytics.page({ anonymousId: 'node-anon', name: `${tag}-page`, messageId: `${tag}-m3` });
await analytics.closeAndFlush({ timeout: 10000 });
