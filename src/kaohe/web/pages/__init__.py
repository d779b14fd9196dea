"""Web pages: every module here exposes `router` (a fastapi.APIRouter); the app includes them
all, so a page is added without touching app.py."""
