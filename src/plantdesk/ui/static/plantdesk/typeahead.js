// The type-ahead picker (ui/widgets.py): htmx fills the listbox as the person types; this script shows it,
// lets the keyboard move through it (arrows, Enter, Escape) and, for several values, keeps them as chips.
// Without this script the input stays a plain text field (names separated by commas).
(() => {
  const options = (list) => [...list.querySelectorAll('[role="option"]')];

  function close(box) {
    const list = box.querySelector(".typeahead-list");
    const input = box.querySelector('[role="combobox"]');
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(box, index) {
    const input = box.querySelector('[role="combobox"]');
    const all = options(box.querySelector(".typeahead-list"));
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (all[index]) {
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    }
  }

  // Several values: the names live in a hidden input under the field's name; the visible input types the next.
  function chipValues(box) {
    const hidden = box.querySelector("input[data-typeahead-value]");
    return hidden.value.split(",").map((name) => name.trim()).filter(Boolean);
  }

  function renderChips(box, names) {
    const hidden = box.querySelector("input[data-typeahead-value]");
    hidden.value = names.join(", ");
    const chips = box.querySelector(".typeahead-chips");
    chips.replaceChildren(
      ...names.map((name) => {
        const chip = document.createElement("li");
        chip.className = "chip chip-value";
        const label = document.createElement("span");
        label.textContent = name;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chip-remove";
        remove.dataset.remove = name;
        remove.setAttribute("aria-label", `${box.dataset.removeLabel || "Remove"} ${name}`);
        remove.textContent = "×";
        chip.append(label, remove);
        return chip;
      }),
    );
  }

  function upgrade(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    if (!box.hasAttribute("data-multiple")) return;
    const input = box.querySelector('[role="combobox"]');
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    hidden.dataset.typeaheadValue = "";
    hidden.value = input.value;
    const chips = document.createElement("ul");
    chips.className = "chips typeahead-chips";
    chips.setAttribute("aria-live", "polite");
    input.name = `${input.name}__typed`;  // sent with the suggestion request only; the form ignores it
    input.value = "";
    box.prepend(chips);
    box.append(hidden);
    renderChips(box, chipValues(box));
  }

  function choose(box, value) {
    const input = box.querySelector('[role="combobox"]');
    if (box.hasAttribute("data-multiple")) {
      const names = chipValues(box);
      // A pasted list ("BER-L3, BER-L4") becomes one chip a name.
      value.split(",").map((name) => name.trim()).filter((name) => name && !names.includes(name))
        .forEach((name) => names.push(name));
      renderChips(box, names);
      input.value = "";
    } else {
      input.value = value;
    }
    input.dispatchEvent(new Event("change", { bubbles: true }));
    close(box);
    input.focus();
  }

  document.addEventListener("htmx:load", (event) => {
    event.target.querySelectorAll?.("[data-typeahead]").forEach(upgrade);
    if (event.target.matches?.("[data-typeahead]")) upgrade(event.target);
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const list = event.target;
    if (!list.classList?.contains("typeahead-list")) return;
    const box = list.closest("[data-typeahead]");
    const input = box.querySelector('[role="combobox"]');
    const open = list.children.length > 0 && input.value.trim() !== "";
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    input.removeAttribute("aria-activedescendant");
  });

  document.addEventListener("keydown", (event) => {
    const input = event.target.closest?.('[data-typeahead] [role="combobox"]');
    if (!input) return;
    const box = input.closest("[data-typeahead]");
    const list = box.querySelector(".typeahead-list");
    const all = options(list);
    const current = all.findIndex((option) => option.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" && !list.hidden && all.length) {
      event.preventDefault();
      highlight(box, (current + 1) % all.length);
    } else if (event.key === "ArrowUp" && !list.hidden && all.length) {
      event.preventDefault();
      highlight(box, (current - 1 + all.length) % all.length);
    } else if (event.key === "Enter" && !list.hidden && current >= 0) {
      event.preventDefault();
      choose(box, all[current].dataset.value);
    } else if (event.key === "Enter" && box.hasAttribute("data-multiple") && input.value.trim()) {
      event.preventDefault();  // a name typed in full becomes a chip rather than submitting the form
      choose(box, input.value.trim());
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close(box);
    }
  });

  // mousedown, not click: the input keeps its focus and a blur does not close the list before the pick.
  document.addEventListener("mousedown", (event) => {
    const option = event.target.closest?.('.typeahead-list [role="option"]');
    if (option) {
      event.preventDefault();
      choose(option.closest("[data-typeahead]"), option.dataset.value);
    }
  });

  document.addEventListener("click", (event) => {
    const remove = event.target.closest?.("[data-typeahead] .chip-remove");
    if (remove) {
      const box = remove.closest("[data-typeahead]");
      renderChips(box, chipValues(box).filter((name) => name !== remove.dataset.remove));
      box.querySelector('[role="combobox"]').focus();
    }
  });

  document.addEventListener("focusout", (event) => {
    const box = event.target.closest?.("[data-typeahead]");
    if (box && !box.contains(event.relatedTarget)) close(box);
  });

  // A multi-value picker with a name still typed when the form is sent: keep that name too.
  document.addEventListener("submit", (event) => {
    event.target.querySelectorAll?.("[data-typeahead][data-multiple]").forEach((box) => {
      const input = box.querySelector('[role="combobox"]');
      if (input.value.trim()) choose(box, input.value.trim());
    });
  }, true);
})();
