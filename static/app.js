// Hindsight's only hand-written script. Every page works without it; it adds
// the browser's time zone as a default and nothing else.
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("hindsight_tz=" + zone) === -1) {
      document.cookie = "hindsight_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) {
    // Old browsers without Intl time zones keep UTC.
  }
})();
