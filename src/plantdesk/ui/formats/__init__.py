"""Django's per-language formats (settings.FORMAT_MODULE_PATH): what `{{ value }}` and `|date` print when a
template does not go through the `localdt` / `localdate` filters. They match ui.dates' language styles."""
