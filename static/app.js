// Hindsight's only hand-written script. Every page works without it; it adds
// the browser's time zone as a default, and tells htmx which error answers
// are fragments to show.
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

// htmx 2 does not swap 4xx answers. Ours are forms to show: 422 is a form
// back with its field messages, 409 a form reloaded after someone else's
// change (e.g. an action's inline editor). Swap them like a 200.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr ? event.detail.xhr.status : 0;
  if (status === 422 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Autosave when the author leaves the page or switches tabs: forms marked
// data-autosave listen for this "autosave" event (hx-trigger), besides
// saving a few seconds after typing stops.
(function () {
  // A form being submitted saves itself: leaving the page for its answer
  // must not also autosave it.
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-autosave]")) {
      event.target.dataset.submitting = "true";
    }
  }, true);
  function flush() {
    document.querySelectorAll("form[data-autosave]").forEach(function (form) {
      if (window.htmx && form.dataset.submitting !== "true") {
        window.htmx.trigger(form, "autosave");
      }
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      flush();
    }
  });
  window.addEventListener("pagehide", flush);
})();
