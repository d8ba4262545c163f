// Dialogs for transitions that ask for fields. Event delegation, so forms swapped in by HTMX keep working.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.openDialog);
    if (dialog) dialog.showModal();
    return;
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) closer.closest("dialog")?.close();
});

// A transition refused with field errors comes back as a whole page (no JavaScript path): reopen its dialog.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("dialog[data-open-on-load]").forEach((dialog) => dialog.showModal());
});

// Bars (SLA clocks, attainment) carry their length as data-bar-width, a percentage: a style="" attribute would
// need 'unsafe-inline' in the Content-Security-Policy, while setting the style from a script file does not.
const setBarWidths = (root) => {
  root.querySelectorAll("[data-bar-width]").forEach((bar) => {
    bar.style.width = `${Math.min(100, Math.max(0, Number(bar.dataset.barWidth) || 0))}%`;
  });
};
document.addEventListener("DOMContentLoaded", () => setBarWidths(document));
document.addEventListener("htmx:load", (event) => setBarWidths(event.target));

// The top bar's Menu disclosure (narrow screens). Marking <html> lets the CSS fold the items only when this
// script runs; Escape closes the menu and gives the focus back to its button.
document.documentElement.classList.add("js");
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".menu-toggle");
  if (toggle) {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    if (open) document.getElementById(toggle.getAttribute("aria-controls"))?.querySelector("a")?.focus();
  } else if (!event.target.closest("#mainnav")) {
    document.querySelector('.menu-toggle[aria-expanded="true"]')?.setAttribute("aria-expanded", "false");
  }
});
document.addEventListener("keydown", (event) => {
  const toggle = document.querySelector('.menu-toggle[aria-expanded="true"]');
  if (event.key === "Escape" && toggle) {
    toggle.setAttribute("aria-expanded", "false");
    toggle.focus();
  }
});
