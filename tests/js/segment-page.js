// segment-page.js - the page of tests/115-trackers.bats: the real
// @segment/analytics-next, bundled by esbuild, loaded with its settings
// given (cdnSettings: nothing is fetched from Segment) and its Segment.io
// integration's apiHost pointing at Sluice. ?host=127.0.0.1:PORT
import { AnalyticsBrowser } from '@segment/analytics-next';

const host = new URLSearchParams(location.search).get('host');
const analytics = AnalyticsBrowser.load({
  writeKey: 'wk_page',
  cdnSettings: {
    integrations: {
      'Segment.io': { apiKey: 'wk_page', apiHost: `${host}/v1`, protocol: 'http' },
    },
  },
});

async function run() {
  await analytics.page('Home', { path: '/home' });
  await analytics.track('Clicked Buy', { sku: 'sku-1' });
  await analytics.identify('page-user', { plan: 'pro' });
  document.body.textContent = 'sent';
}
run().catch((err) => { document.body.textContent = `failed: ${err}`; });
