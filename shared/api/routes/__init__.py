"""One powertools Router per resource; shared/api/app.py includes them all."""
