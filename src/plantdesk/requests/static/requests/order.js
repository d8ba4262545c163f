// The order form's conditional questions (show_if): a question shows only while the question it depends on
// has the given answer. Hidden questions are disabled, so what the person cannot see is never posted; the
// server applies the same rule (requests/questions.py) whether or not this script runs.
(function () {
  "use strict";

  function answerOf(form, name) {
    var wrap = form.querySelector('[data-question="' + name + '"]');
    if (!wrap || wrap.hidden) return undefined;
    var inputs = wrap.querySelectorAll("input, select, textarea");
    var checked = [];
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === "checkbox") {
        if (el.checked) checked.push(el.value);
      } else {
        return el.value;
      }
    }
    return checked;
  }

  function matches(answer, expected) {
    if (answer === undefined || answer === "") return false;
    if (typeof expected === "boolean") return answer === String(expected);
    if (typeof expected === "number") return Number(answer) === expected;
    return answer === expected;
  }

  function update(form) {
    // Document order is question order: a question depends only on earlier ones, so one pass settles chains.
    var questions = form.querySelectorAll("[data-question]");
    for (var i = 0; i < questions.length; i++) {
      var q = questions[i];
      var on = q.getAttribute("data-show-if");
      if (!on) continue;
      var shown = matches(answerOf(form, on), JSON.parse(q.getAttribute("data-equals")));
      q.hidden = !shown;
      var inputs = q.querySelectorAll("input, select, textarea");
      for (var j = 0; j < inputs.length; j++) inputs[j].disabled = !shown;
    }
  }

  function init() {
    var forms = document.querySelectorAll("[data-order-form]");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      if (form.dataset.bound) continue;
      form.dataset.bound = "1";
      form.addEventListener("change", function (e) { update(e.currentTarget); });
      form.addEventListener("input", function (e) { update(e.currentTarget); });
      update(form);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
