"""The web app (issue 8): FastAPI, server-rendered with Jinja2, over the same store and
library functions as the CLI. It computes nothing of its own."""
