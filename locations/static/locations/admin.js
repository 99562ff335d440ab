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

  // A new EVSE's evse_id proposed from the operator and the uid: FR*AB1*E + uid letters/digits.
  function onUid(input) {
    var evseId = field(input.name.replace(/-uid$/, "-evse_id"));
    if (!evseId || evseId.value || !input.value) return;
    var operator = evseId.dataset.operator;
    var select = document.getElementById("id_operator");
    if (!operator && select && select.selectedIndex > 0) {
      operator = select.options[select.selectedIndex].text.split(" ")[0];
    }
    var outlet = input.value.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
    if (operator && outlet) evseId.value = operator + "*E" + outlet;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "country" && target.dataset.timeZones) onCountry(target);
    if (target.dataset && target.dataset.presets) onPreset(target);
    if (/^evses-\d+-uid$/.test(target.name || "")) onUid(target);
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
