import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imsclinic.settings")
application = get_wsgi_application()

# A production worker with the published demo logins active refuses to load (and so to serve).
from imsclinic.accounts.production import refuse_demo_accounts  # noqa: E402

refuse_demo_accounts()
