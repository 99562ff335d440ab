/* Location page helpers: time zone from the country, EVSE typical set-ups (locations/forms.py). */
"use strict";
(function () {
  function field(name) {
    return document.querySelector('[name="' + name + '"]');
  }

  function setValue(input, value) {
    if (!input) return;
    input.value = value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // Country -> time zone, unless staff typed another one than the previous default.
  var lastDefault = null;
  function onCountry(select) {
    var zones = JSON.parse(select.dataset.timeZones || "{}");
    var zone = field("time_zone");
    var wanted = zones[select.value];
    if (zone && wanted && (!zone.value || zone.value === lastDefault)) {
      zone.value = wanted;
    }
    lastDefault = wanted || null;
  }

  // "Typical set-up" of a new EVSE: capabilities and its first connector.
  function onPreset(select) {
    var presets = JSON.parse(select.dataset.presets || "{}");
    var preset = presets[select.value];
    if (!preset) return;
    var prefix = select.name.replace(/-preset$/, "");
    document.querySelectorAll('[name="' + prefix + '-capabilities"]').forEach(function (box) {
      box.checked = preset.capabilities.indexOf(box.value) >= 0;
    });
    var connector = prefix + "-connectors-0-";
    var id = field(connector + "ocpi_id");
    if (id && !id.value) id.value = "1";
    Object.keys(preset.connector).forEach(function (name) {
      setValue(field(connector + name), preset.connector[name]);
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "country" && target.dataset.timeZones) onCountry(target);
    if (target.dataset && target.dataset.presets) onPreset(target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var country = field("country");
    if (country && country.dataset.timeZones) {
      var zones = JSON.parse(country.dataset.timeZones);
      var zone = field("time_zone");
      if (zone && zones[country.value] === zone.value) lastDefault = zone.value;
    }
  });
})();
