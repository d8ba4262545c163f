"""The event pages: the live alert console with its tools (silences, maintenance), dead letters, and the
integration setup pages. Thin, as every page: forms shape input, `events.actions` (and
`events.integration_accounts`) validate and write, every read starts from `restrict()`."""
