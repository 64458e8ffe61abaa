/*
 * sluice.js - send an event from a web page to a Sluice collector.
 *
 *   <script src="sluice.js"></script>
 *   <script>
 *     Sluice.send("https://collect.example.com", {page: "/home", action: "view"});
 *   </script>
 *
 * The event is a flat object of strings, numbers and booleans. It goes
 * with navigator.sendBeacon to POST /e (it survives the page being
 * closed); where the browser has no sendBeacon, or refuses the beacon,
 * it goes as the query of a 1x1 image from GET /pixel. Both routes always
 * answer 200, so a page never sees an error and never retries.
 */
(function (global) {
	"use strict";

	function query(event) {
		return Object.keys(event).map(function (name) {
			return encodeURIComponent(name) + "=" +
				encodeURIComponent(String(event[name]));
		}).join("&");
	}

	function pixel(endpoint, event) {
		var img = new Image(1, 1);

		img.src = endpoint + "/pixel?" + query(event);
		return "pixel";
	}

	/*
	 * Send event to the collector at endpoint (scheme://host[:port], no
	 * trailing slash). options.beacon = false forces the image. Returns
	 * "beacon" or "pixel": how it went.
	 */
	function send(endpoint, event, options) {
		var nav = global.navigator;

		if (!(options && options.beacon === false) && nav &&
		    typeof nav.sendBeacon === "function") {
			try {
				/* A string is sent as text/plain: no preflight. */
				if (nav.sendBeacon(endpoint + "/e", JSON.stringify(event)))
					return "beacon";
			} catch (e) {
				/* Fall through to the image. */
			}
		}
		return pixel(endpoint, event);
	}

	global.Sluice = { send: send };
}(this));
