"""What keeps a store running on its own (issue 18): consistent backups and their restore,
the scheduler's jobs and their recorded runs, the inbox folder, the CLI's way to a running
server, and structured logs. Nothing here imports the web app: the server (kaohe.web) wires
these in, the CLI (kaohe.commands) calls them directly."""
