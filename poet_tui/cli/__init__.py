"""The `poet` command line. Sub-commands import the engine lazily so `poet --help` stays instant."""
