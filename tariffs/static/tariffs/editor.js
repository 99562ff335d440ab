/* Structured editor for OCPI TariffElements (tariffs/widgets.py).
 *
 * The textarea holds the OCPI JSON that is posted. Units shown to staff are converted
 * exactly (decimal strings, BigInt): OCPI TIME/PARKING_TIME prices are per hour, step_size
 * is in seconds (time) or Wh (energy), restriction durations are in seconds.
 */
"use strict";
(function () {
  var DECIMAL = /^-?\d+(\.\d+)?$/;
  var KINDS = [
    ["ENERGY", "Energy"],
    ["TIME", "Charging time"],
    ["PARKING_TIME", "Parking time"],
    ["FLAT", "Flat fee"],
  ];
  var DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];

  // --- exact decimals -------------------------------------------------------
  function mul(text, factor) {
    var m = /^(-?)(\d*)(?:\.(\d+))?$/.exec(String(text).trim());
    if (!m) return null;
    var frac = m[3] || "";
    var digits = (BigInt(m[2] + frac || "0") * BigInt(factor)).toString();
    if (!frac) return m[1] + digits;
    digits = digits.padStart(frac.length + 1, "0");
    return m[1] + digits.slice(0, -frac.length) + "." + digits.slice(-frac.length);
  }
  function asInteger(text) {
    if (text === null) return null;
    var m = /^(-?\d+)(?:\.(0*))?$/.exec(text);
    return m ? m[1] : null;
  }
  // text / divisor when exact within 6 more decimals ("3.00" / 60 = "0.05"), else null.
  function divDecimal(text, divisor) {
    var m = /^(-?)(\d*)(?:\.(\d+))?$/.exec(String(text).trim());
    if (!m || text === "") return null;
    var frac = m[3] || "";
    for (var extra = 0; extra <= 6; extra++) {
      var n = BigInt(m[2] + frac + "0".repeat(extra) || "0");
      if (n % BigInt(divisor) !== 0n) continue;
      var places = frac.length + extra;
      var digits = (n / BigInt(divisor)).toString().padStart(places + 1, "0");
      return m[1] + (places ? digits.slice(0, -places) + "." + digits.slice(-places) : digits);
    }
    return null;
  }
  // A percentage as people type it: "20", "20 %", "20%", "20,5".
  function percent(text) { return text.trim().replace(/\s*%$/, "").replace(",", "."); }
  var MAX_PRICE = "100000";
  function tooBig(decimalText) { return Number(decimalText) > Number(MAX_PRICE); }
  function div(intText, divisor) {
    var n = BigInt(intText);
    return n % BigInt(divisor) === 0n ? (n / BigInt(divisor)).toString() : null;
  }

  // --- JSON with numbers kept as text -----------------------------------------
  function parse(text) {
    var quoted = text.replace(/([:\[,]\s*)(-?\d+(?:\.\d+)?)(?=\s*[,\}\]])/g, '$1"#$2"');
    return JSON.parse(quoted, function (key, value) {
      return typeof value === "string" && /^#-?\d/.test(value) ? { num: value.slice(1) } : value;
    });
  }
  function dump(value, indent) {
    indent = indent || "";
    var inner = indent + "  ";
    if (value && value.num !== undefined) return value.num;
    if (Array.isArray(value)) {
      if (!value.length) return "[]";
      return "[\n" + value.map(function (v) { return inner + dump(v, inner); }).join(",\n") +
        "\n" + indent + "]";
    }
    if (value && typeof value === "object") {
      var keys = Object.keys(value);
      if (!keys.length) return "{}";
      return "{\n" + keys.map(function (k) {
        return inner + JSON.stringify(k) + ": " + dump(value[k], inner);
      }).join(",\n") + "\n" + indent + "}";
    }
    return JSON.stringify(value);
  }
  function text(v) { return v && v.num !== undefined ? v.num : v === undefined || v === null ? "" : String(v); }

  // --- small DOM helpers -------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function select(cls, options, value) {
    var s = el("select", { class: cls });
    options.forEach(function (o) {
      var opt = el("option", { value: o[0], text: o[1] });
      if (o[0] === value) opt.selected = true;
      s.appendChild(opt);
    });
    return s;
  }
  function input(cls, value, attrs) {
    var i = el("input", Object.assign({ class: cls, type: "text", size: "6" }, attrs || {}));
    i.value = value || "";
    return i;
  }

  // --- OCPI -> rows ------------------------------------------------------------
  // c.price is per hour (OCPI) unless c.typed: then it is as typed, in the default unit.
  function componentRow(c, currency) {
    var kind = c.type || "ENERGY";
    var timed = kind === "TIME" || kind === "PARKING_TIME";
    var shownPrice = text(c.price), priceUnit = "h";
    if (timed) {
      // People quote time per minute (audit 2, A2): show it so when it is exact.
      var perMinute = c.typed ? shownPrice : divDecimal(shownPrice, 60);
      if (shownPrice === "" || perMinute !== null) { shownPrice = c.typed ? shownPrice : perMinute; priceUnit = "min"; }
    }
    var step = text(c.step_size) || "1";
    var stepValue = step, stepUnit = kind === "ENERGY" ? "Wh" : "s";
    if (kind === "ENERGY" && div(step, 1000)) { stepValue = div(step, 1000); stepUnit = "kWh"; }
    if (kind !== "ENERGY" && kind !== "FLAT" && step !== "0" && div(step, 60)) { stepValue = div(step, 60); stepUnit = "min"; }
    var row = el("tr", { class: "te-component" }, [
      el("td", {}, [select("te-type", KINDS, kind)]),
      el("td", {}, [input("te-price", shownPrice, { "aria-label": "price" }), " ",
        select("te-price-unit", priceUnits(kind, currency), timed ? priceUnit : "h")]),
      el("td", {}, [input("te-vat", text(c.vat), { size: "4", "aria-label": "VAT" }), " %"]),
      el("td", {}, [input("te-step", stepValue, { size: "4", "aria-label": "billed per" }), " ",
        select("te-step-unit", stepUnits(kind), stepUnit)]),
      el("td", {}, [el("a", { href: "#", class: "te-remove-component", text: "remove" })]),
    ]);
    return row;
  }
  function priceUnits(kind, currency) {
    var s = currency === "EUR" ? "€" : currency;
    if (kind === "ENERGY") return [["kWh", s + " per kWh"]];
    if (kind === "FLAT") return [["session", s + " per session"]];
    return [["min", s + " per minute"], ["h", s + " per hour"]];
  }
  function stepUnits(kind) {
    if (kind === "ENERGY") return [["kWh", "kWh"], ["Wh", "Wh"]];
    if (kind === "FLAT") return [["-", "-"]];
    return [["min", "minute(s)"], ["s", "second(s)"]];
  }

  function durationPair(seconds) {
    if (!seconds) return ["", "min"];
    return div(seconds, 60) ? [div(seconds, 60), "min"] : [seconds, "s"];
  }

  function elementBox(element, index, currency) {
    var r = element.restrictions || {};
    var box = el("fieldset", { class: "module te-element" });
    box.appendChild(el("h3", { text: "Prices " + (index + 1) }));
    var table = el("table", { class: "te-components" }, [
      el("thead", {}, [el("tr", {}, ["Charged for", "Price", "VAT", "Billed per", ""].map(function (h) { return el("th", { text: h }); }))]),
    ]);
    var body = el("tbody");
    (element.price_components || []).forEach(function (c) { body.appendChild(componentRow(c, currency)); });
    table.appendChild(body);
    box.appendChild(table);
    box.appendChild(el("p", {}, [el("a", { href: "#", class: "te-add-component", text: "+ add a price" })]));
    var minD = durationPair(text(r.min_duration)), maxD = durationPair(text(r.max_duration));
    var days = el("span", { class: "te-days" });
    DAYS.forEach(function (d) {
      var box2 = el("input", { type: "checkbox", value: d, class: "te-day" });
      box2.checked = (r.day_of_week || []).indexOf(d) >= 0;
      days.appendChild(el("label", {}, [box2, " " + d.slice(0, 3).toLowerCase()]));
    });
    var details = el("details", { class: "te-restrictions" }, [
      el("summary", { text: "Only when… (times, days, duration, energy, power)" }),
      el("p", {}, ["Between ", input("te-start-time", text(r.start_time), { type: "time" }),
        " and ", input("te-end-time", text(r.end_time), { type: "time" }), " (local time of the location)"]),
      el("p", {}, ["On ", days, " (none ticked: every day)"]),
      el("p", {}, ["After ", input("te-min-duration", minD[0], { size: "4" }), " ",
        select("te-min-duration-unit", [["min", "minutes"], ["s", "seconds"]], minD[1]),
        " of session, up to ", input("te-max-duration", maxD[0], { size: "4" }), " ",
        select("te-max-duration-unit", [["min", "minutes"], ["s", "seconds"]], maxD[1])]),
      el("p", {}, ["From ", input("te-min-kwh", text(r.min_kwh), { size: "4" }), " kWh, below ",
        input("te-max-kwh", text(r.max_kwh), { size: "4" }), " kWh charged"]),
      el("p", {}, ["From ", input("te-min-power", text(r.min_power), { size: "4" }), " kW, below ",
        input("te-max-power", text(r.max_power), { size: "4" }), " kW of charging power"]),
    ]);
    if (Object.keys(r).length) details.open = true;
    box.appendChild(details);
    box.dataset.extra = JSON.stringify(Object.keys(r).filter(function (k) {
      return ["start_date", "end_date", "min_current", "max_current", "reservation"].indexOf(k) >= 0;
    }).reduce(function (o, k) { o[k] = r[k]; return o; }, {}));
    box.appendChild(el("p", {}, [el("a", { href: "#", class: "te-remove-element", text: "Remove these prices" })]));
    return box;
  }

  // --- rows -> OCPI --------------------------------------------------------------
  function read(editor) {
    var problems = [];
    var elements = [];
    editor.querySelectorAll(".te-element").forEach(function (box, i) {
      var components = [];
      box.querySelectorAll(".te-component").forEach(function (row, j) {
        var where = "Prices " + (i + 1) + ", line " + (j + 1) + ": ";
        var kind = row.querySelector(".te-type").value;
        // Whatever cannot be read is posted as typed, so the server refuses it on the
        // field: nothing typed is ever dropped (audit 2, A13: "20%" saved as no VAT).
        var typedPrice = row.querySelector(".te-price").value.trim();
        var price = typedPrice.replace(",", ".");
        var c = { type: kind, price: typedPrice };
        if (!DECIMAL.test(price)) {
          // "1e20" is a number, but not a price: say the bound (audit 2, A13).
          var big = price !== "" && isFinite(Number(price)) && tooBig(price);
          problems.push(where + (big ? "the price must be at most " + MAX_PRICE : "the price must be a number, e.g. 0.35"));
        } else if (tooBig(price)) problems.push(where + "the price must be at most " + MAX_PRICE);
        else {
          if (row.querySelector(".te-price-unit").value === "min") price = mul(price, 60);
          c.price = { num: price };
        }
        var typedVat = row.querySelector(".te-vat").value.trim();
        var vat = percent(typedVat);
        if (vat) {
          if (!DECIMAL.test(vat) || Number(vat) > 100) {
            problems.push(where + "VAT is a percentage from 0 to 100, e.g. 20");
            c.vat = typedVat;
          } else c.vat = { num: vat };
        }
        var step = row.querySelector(".te-step").value.trim().replace(",", ".") || "1";
        var unit = row.querySelector(".te-step-unit").value;
        var factor = { kWh: 1000, Wh: 1, min: 60, s: 1, "-": 1 }[unit];
        var stepInt = DECIMAL.test(step) ? asInteger(mul(step, factor)) : null;
        if (kind === "FLAT") stepInt = "1";
        if (stepInt === null) {
          problems.push(where + "billed per " + step + " " + unit + " is not a whole number of " + (unit === "kWh" ? "Wh" : "seconds"));
          c.step_size = step + " " + unit;
        } else if (stepInt === "0" || stepInt[0] === "-") {
          problems.push(where + "billed per must be at least 1 " + (unit === "kWh" || unit === "Wh" ? "Wh" : "second"));
          c.step_size = { num: stepInt };
        } else c.step_size = { num: stepInt };
        components.push(c);
      });
      var element = { price_components: components };
      var r = JSON.parse(box.dataset.extra || "{}");
      var get = function (cls) { return box.querySelector("." + cls).value.trim().replace(",", "."); };
      if (get("te-start-time")) r.start_time = get("te-start-time");
      if (get("te-end-time")) r.end_time = get("te-end-time");
      var days = [];
      box.querySelectorAll(".te-day:checked").forEach(function (d) { days.push(d.value); });
      if (days.length) r.day_of_week = days;
      [["te-min-duration", "min_duration"], ["te-max-duration", "max_duration"]].forEach(function (p) {
        var v = get(p[0]);
        if (!v) return;
        var seconds = DECIMAL.test(v) ? asInteger(mul(v, box.querySelector("." + p[0] + "-unit").value === "min" ? 60 : 1)) : null;
        if (seconds === null) problems.push("Prices " + (i + 1) + ": " + v + " is not a whole number of seconds");
        else r[p[1]] = { num: seconds };
      });
      [["te-min-kwh", "min_kwh"], ["te-max-kwh", "max_kwh"], ["te-min-power", "min_power"], ["te-max-power", "max_power"]].forEach(function (p) {
        var v = get(p[0]);
        if (!v) return;
        if (!DECIMAL.test(v)) problems.push("Prices " + (i + 1) + ": " + v + " is not a number");
        else r[p[1]] = { num: v };
      });
      if (Object.keys(r).length) element.restrictions = r;
      elements.push(element);
    });
    return { elements: elements, problems: problems };
  }

  // --- wiring ------------------------------------------------------------------
  function setup(editor) {
    var area = editor.querySelector("textarea");
    var list = editor.querySelector(".te-elements");
    var words = editor.querySelector(".te-words");
    var currency = editor.dataset.currency || "EUR";
    var timer = null;

    function render() {
      list.innerHTML = "";
      var value;
      try { value = area.value.trim() && area.value.trim() !== "null" ? parse(area.value) : []; }
      catch (e) { words.textContent = "The OCPI JSON below is not valid JSON: fix it there."; return false; }
      if (!Array.isArray(value)) value = [];
      if (!value.length) value = [{ price_components: [{ type: "ENERGY", price: { num: "" }, step_size: { num: "1" } }] }];
      value.forEach(function (element, i) { list.appendChild(elementBox(element, i, currency)); });
      return true;
    }
    function describe() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var body = new URLSearchParams({ elements: area.value, currency: currency });
        var token = document.querySelector("[name=csrfmiddlewaretoken]");
        fetch(editor.dataset.describeUrl, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRFToken": token ? token.value : "" },
        }).then(function (r) { return r.json(); }).then(function (data) {
          words.textContent = data.errors && data.errors.length ? data.errors.join(" ") : data.text;
          words.classList.toggle("errornote", !!(data.errors && data.errors.length));
        }).catch(function () { /* the preview is a help only */ });
      }, 250);
    }
    function write() {
      var result = read(editor);
      area.value = dump(result.elements);
      if (result.problems.length) {
        words.textContent = result.problems.join("; ");
        words.classList.add("errornote");
      } else {
        describe();
      }
    }

    editor.addEventListener("input", function (e) { if (e.target !== area) write(); });
    editor.addEventListener("change", function (e) {
      if (e.target === area) { if (render()) describe(); return; }
      if (e.target.classList.contains("te-type")) {
        var row = e.target.closest("tr");
        row.replaceWith(componentRow({ type: e.target.value, typed: true, price: { num: row.querySelector(".te-price").value }, vat: { num: row.querySelector(".te-vat").value }, step_size: { num: e.target.value === "ENERGY" ? "1" : "60" } }, currency));
      }
      write();
    });
    editor.addEventListener("click", function (e) {
      var t = e.target;
      if (t.classList.contains("te-add-element")) {
        list.appendChild(elementBox({ price_components: [{ type: "TIME", price: { num: "" }, step_size: { num: "60" } }] }, list.children.length, currency));
      } else if (t.classList.contains("te-add-component")) {
        t.closest(".te-element").querySelector("tbody").appendChild(componentRow({ type: "TIME", step_size: { num: "60" } }, currency));
      } else if (t.classList.contains("te-remove-component")) {
        t.closest("tr").remove();
      } else if (t.classList.contains("te-remove-element")) {
        t.closest(".te-element").remove();
      } else {
        return;
      }
      e.preventDefault();
      write();
    });
    if (render()) describe();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".tariff-editor").forEach(setup);
  });
})();
