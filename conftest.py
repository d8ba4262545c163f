pytest_plugins = ["plantdesk.testing.fixtures"]
