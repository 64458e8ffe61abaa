// snowplow-page.js - the page of tests/115-trackers.bats: the real
// @snowplow/browser-tracker, bundled by esbuild, sending a page view, a
// structured and a self-describing event to Sluice.
// ?collector=http://127.0.0.1:PORT&method=post|get
import {
  newTracker, trackPageView, trackStructEvent, trackSelfDescribingEvent,
} from '@snowplow/browser-tracker';

const params = new URLSearchParams(location.search);
const method = params.get('method');

newTracker('sp', params.get('collector'), {
  appId: `shop-${method}`,
  eventMethod: method,
  bufferSize: 1,
  contexts: { webPage: true },
});
trackPageView();
trackStructEvent({ category: 'shop', action: 'add', label: `sku-${method}` });
trackSelfDescribingEvent({
  event: { schema: 'iglu:com.acme/link_click/jsonschema/1-0-0', data: { target: '/buy' } },
});
// The tracker sends from its queue; say when it has had the time.
setTimeout(() => { document.body.textContent = 'sent'; }, 3000);
